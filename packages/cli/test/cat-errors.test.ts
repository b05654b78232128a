import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let data: string;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  data = join(box.dir, 'data');
  await mkdir(join(data, 'folder'), { recursive: true });
  await writeFile(join(data, 'folder/a.txt'), 'a');
  const s3 = await s3Bucket();
  await s3.put('folder/a.txt', 'a');
  await mkdir(join(env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(
    join(env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'),
    stringify({ mounts: { s3: s3.mount, data: { protocol: 'local', root: data } } }),
  );
}, 60_000);
afterAll(() => box.cleanup());

describe('ufs cat of a folder is a usage error on every backend (64), not NOT_FOUND', () => {
  it('on S3, where a folder is a key prefix, as on a local mount', async () => {
    const s3 = await ufs(['cat', 's3:folder'], { env });
    expect(s3.stderr.trim()).toBe('[ufs] cat "s3:folder": is a folder, not a file');
    expect(s3.status).toBe(64);
    expect(s3.stdout).toBe('');
    const local = await ufs(['cat', 'data:folder'], { env });
    expect(local.status).toBe(64);
    expect(local.stderr).toMatch(/is a folder/);
  });

  it('with --json and among other files', async () => {
    const run = await ufs(['cat', '--json', 's3:folder', 's3:folder/a.txt', 's3:missing'], { env });
    expect(run.status).toBe(1); // two different codes
    expect(run.json()).toEqual([
      { path: 's3:folder', error: expect.objectContaining({ code: 'INVALID_INPUT', exitCode: 64 }) },
      { path: 's3:folder/a.txt', text: 'a', encoding: 'utf8' },
      { path: 's3:missing', error: expect.objectContaining({ code: 'NOT_FOUND', exitCode: 66 }) },
    ]);
  });

  it('a missing file stays NOT_FOUND (66)', async () => {
    const run = await ufs(['cat', 's3:folder/missing.txt'], { env });
    expect(run.status).toBe(66);
  });
});
