import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;

beforeAll(async () => {
  box = await sandbox();
  const s3 = await s3Bucket();
  await s3.put('sp/a.txt', 'hello');
  await s3.client.send(
    new PutObjectCommand({ Bucket: s3.bucket, Key: 'page.html', Body: '<p>x</p>', ContentType: 'text/html' }),
  );
  const pub = join(box.dir, 'pub');
  await mkdir(join(pub, 'sub'), { recursive: true });
  await writeFile(join(pub, 'empty'), '');
  const config = join(box.dir, 'config.yaml');
  const mounts = { s3: s3.mount, pub: { protocol: 'local', root: pub, baseUrl: 'https://cdn.example.com/files' } };
  await writeFile(config, stringify({ mounts }));
  env = { ...box.env, UFS_CONFIG: config };
}, 60_000);
afterAll(() => box.cleanup());

describe('ufs url of a public URL', () => {
  it('does not expire: expiresIn null, and a note when --expires was given', async () => {
    const r = await ufs(['url', '--json', '--expires', '5m', 'pub:empty'], { env });
    expect(r.status).toBe(0);
    expect(r.json()).toEqual({
      path: 'pub:empty',
      url: 'https://cdn.example.com/files/empty',
      method: 'GET',
      expiresIn: null,
    });
    expect(r.stderr.trim()).toBe('[ufs] url: --expires does not apply to "pub:empty": its public URL does not expire');
  });

  it('without --expires, no note', async () => {
    const r = await ufs(['url', 'pub:empty'], { env });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('https://cdn.example.com/files/empty\n');
    expect(r.stderr).toBe('');
  });

  it('a presigned URL still reports its expiry', async () => {
    const r = await ufs(['url', '--json', '--expires', '5m', 's3:sp/a.txt'], { env });
    expect(r.status).toBe(0);
    expect(r.json<{ expiresIn: number }>().expiresIn).toBe(300);
    expect(r.stderr).toBe('');
  });
});

describe('ufs url of a folder is refused', () => {
  it.each([
    ['s3:sp/', '[ufs] url "s3:sp/": a path ending in "/" names a folder, not a file'],
    ['pub:sub/', '[ufs] url "pub:sub/": a path ending in "/" names a folder, not a file'],
    ['pub:', '[ufs] url "pub:": the root of a mount is a folder, not a file'],
    ['s3:', '[ufs] url "s3:": the root of a mount is a folder, not a file'],
  ])('%s', async (arg, message) => {
    for (const args of [
      ['url', arg],
      ['url', '--upload', arg],
    ]) {
      const r = await ufs(args, { env });
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toBe(message);
      expect(r.status).toBe(64);
    }
  });
});

describe('ufs stat', () => {
  it('shows the kind as type and the content type as content-type', async () => {
    const r = await ufs(['stat', 's3:page.html'], { env });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('type:'))).toEqual(['type:  file']);
    expect(lines).toContain('content-type: text/html');
  });
});
