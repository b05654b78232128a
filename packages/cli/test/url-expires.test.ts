import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  const s3 = await s3Bucket();
  await s3.put('t1/a.txt', 'hello');
  await mkdir(join(env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify({ mounts: { s3: s3.mount } }));
}, 60_000);
afterAll(() => box.cleanup());

const expiresOf = (url: string) => new URL(url).searchParams.get('X-Amz-Expires');

describe('ufs url --expires', () => {
  it.each([
    ['90s', 90],
    ['3s', 3],
    ['120', 120], // a number of seconds, as aws s3 presign --expires-in takes
    ['30m', 1800],
    ['1.5h', 5400],
    ['7d', 604_800], // the S3 maximum itself
  ])('%s is %d seconds', async (value, seconds) => {
    const run = await ufs(['url', '--json', '--expires', value, 's3:t1/a.txt'], { env });
    expect(run.status).toBe(0);
    const { url, expiresIn } = run.json<{ url: string; expiresIn: number }>();
    expect(expiresIn).toBe(seconds);
    expect(expiresOf(url)).toBe(String(seconds));
  });

  it('a URL of a few seconds works', async () => {
    const run = await ufs(['url', '--expires', '90s', 's3:t1/a.txt'], { env });
    const response = await fetch(run.stdout.trim());
    expect(await response.text()).toBe('hello');
  });

  it.each(['0m', '0', '0s', '-5m'])('%s: must be positive (64)', async (value) => {
    const run = await ufs(['url', `--expires=${value}`, 's3:t1/a.txt'], { env });
    expect(run.stderr.trim()).toBe(`[ufs] url: --expires must be positive, got ${JSON.stringify(value)}`);
    expect(run.status).toBe(64);
  });

  it('over the backend maximum (S3: 7 days) is a usage error naming --expires and the maximum', async () => {
    const runs = await Promise.all(
      [[], ['--upload']].map((upload) => ufs(['url', ...upload, '--expires', '8d', 's3:t1/a.txt'], { env })),
    );
    for (const run of runs) {
      expect(run.stderr.trim()).toBe(
        '[ufs] url: --expires 8d is too long: s3 presigned URLs last at most 7 days (--expires 7d)',
      );
      expect(run.status).toBe(64);
      expect(run.stdout).toBe('');
    }
  });

  it('something else is not a duration (64)', async () => {
    const run = await ufs(['url', '--expires', 'soon', 's3:t1/a.txt'], { env });
    expect(run.stderr.trim()).toBe(
      '[ufs] url: --expires "soon" is not a duration like 90s, 30m, 24h or 7d (or a number of seconds)',
    );
    expect(run.status).toBe(64);
  });
});
