import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHostingFake, type HostingFake } from './fakes/hosting.js';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

// `ufs upload -p mount` into an S3 mount (real radosgw), whose presigned links live at most 7 days: a longer life
// (`-e 8d`, or `expiresIn: 30d` in the config file) is refused before anything is written, in the words the user
// gave, and `ufs provider status mount` says not ready for such a setting.
let fake: HostingFake;
let box: Awaited<ReturnType<typeof sandbox>>;
let s3: Awaited<ReturnType<typeof s3Bucket>>;
let env: Record<string, string>;

async function keys(client: S3Client, bucket: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

beforeAll(async () => {
  fake = await startHostingFake();
  box = await sandbox();
  s3 = await s3Bucket();
  const mounts = join(box.dir, 'mounts.yaml');
  await writeFile(mounts, `mounts:\n  - ${JSON.stringify({ name: 's3m', ...s3.mount, maxAttempts: 1 })}\n`);
  env = { ...box.env, ...fake.env, UFS_MOUNTS: mounts, UFS_MOUNT_TARGET: 's3m:pub' };
}, 60_000);
afterAll(async () => {
  s3?.client.destroy();
  await fake.close();
  await box.cleanup();
});

describe('ufs upload -p mount on an S3 mount: a presigned life over 7 days', () => {
  it('-e 8d: refused before writing, saying so in the user’s words; the next provider takes the file', async () => {
    const file = join(box.dir, 'f.txt');
    await writeFile(file, 'eight days\n');
    const run = await ufs(['upload', '-p', 'mount,0x0', '-e', '8d', '--json', file], { env });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(
      /^mount: failed: .*expire "8d" is longer than mount "s3m" \(s3\) can presign: at most 7d; nothing was written$/m,
    );
    expect(run.stderr).not.toMatch(/691200|expiresIn must be/);
    expect(await keys(s3.client, s3.bucket)).toEqual([]);
    const ok = await ufs(['upload', '-p', 'mount', '-e', '7d', file], { env });
    expect(ok.status).toBe(0);
    await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'pub/f.txt' }));
  });

  it('expiresIn: 30d in the config file: provider status not ready, and the upload refused before writing', async () => {
    const config = join(box.dir, 'ufs.yaml');
    await writeFile(config, 'upload:\n  providerOptions:\n    mount: { expiresIn: 30d }\n');
    const file = join(box.dir, 'g.txt');
    await writeFile(file, 'thirty days\n');
    const [status, upload] = await Promise.all([
      ufs(['provider', 'status', '--config', config, 'mount'], { env }),
      ufs(['upload', '--config', config, '-p', 'mount', file], { env }),
    ]);
    expect(status.stdout).toMatch(
      /^mount\s+not ready\s+.*expiresIn 30d is longer than mount "s3m" \(s3\) can presign/m,
    );
    expect(upload.status).not.toBe(0);
    expect(upload.stderr).toMatch(/expiresIn 30d is longer than mount "s3m" \(s3\) can presign: at most 7d/);
    expect((await keys(s3.client, s3.bucket)).filter((k) => k === 'pub/g.txt')).toEqual([]);
  });
});
