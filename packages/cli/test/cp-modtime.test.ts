// `ufs cp` keeps modification times and `--skip modtime` uses them (real processes; S3 is the radosgw of
// @org/test-services).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

interface Summary {
  files: number;
  skipped: number;
  errors: unknown[];
}

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let src: string;
const TIMES: Record<string, Date> = {
  'a.txt': new Date('2020-01-02T03:04:05.678Z'),
  'docs/b.txt': new Date('2019-06-07T08:09:10.000Z'),
  'docs/c.txt': new Date('2018-11-12T13:14:15.250Z'),
};

beforeAll(async () => {
  box = await sandbox();
  src = join(box.dir, 'src');
  await mkdir(join(src, 'docs'), { recursive: true });
  for (const [name, time] of Object.entries(TIMES)) {
    await writeFile(join(src, name), `content of ${name}`);
    await utimes(join(src, name), time, time);
  }
  const s3 = await s3Bucket();
  await mkdir(join(box.env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(box.env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify({ mounts: { s3: s3.mount } }));
  env = box.env;
}, 60_000);
afterAll(() => box.cleanup());

async function mtimeOf(path: string): Promise<string> {
  const run = await ufs(['stat', '--json', path], { env });
  expect(run.status).toBe(0);
  return run.json<Array<{ mtime: string }>>()[0]!.mtime;
}

describe('ufs cp --skip modtime', () => {
  it.each(['s3:synced', 'LOCAL'])(
    'copies keep the source times; a second run skips them; a touched file is copied (%s)',
    async (target) => {
      const dest = target === 'LOCAL' ? join(box.dir, 'synced') : target;
      const first = await ufs(['cp', '--json', src, dest], { env });
      expect(first.status).toBe(0);
      expect(first.json<Summary>()).toMatchObject({ files: 3, skipped: 0, errors: [] });
      const times = await Promise.all(Object.keys(TIMES).map((name) => mtimeOf(`${dest}/${name}`)));
      expect(times).toEqual(Object.values(TIMES).map((time) => time.toISOString()));

      const second = await ufs(['cp', '--skip', 'modtime', '--json', src, dest], { env });
      expect(second.status).toBe(0);
      expect(second.json<Summary>()).toMatchObject({ files: 0, skipped: 3, errors: [] });

      // Same size, other bytes, a new time: --skip size would leave it, --skip modtime copies it.
      const touched = join(src, 'docs/b.txt');
      const before = await stat(touched);
      const now = new Date('2024-02-03T04:05:06.000Z');
      await writeFile(touched, 'CONTENT OF docs/b.txt');
      await utimes(touched, now, now);
      try {
        const bySize = await ufs(['cp', '--skip', 'size', '--json', src, dest], { env });
        expect(bySize.json<Summary>()).toMatchObject({ files: 0, skipped: 3 });
        const third = await ufs(['cp', '--skip', 'modtime', '--verbose', src, dest], { env });
        expect(third.status).toBe(0);
        expect(third.stdout.trim()).toMatch(/^copied 1 file \(.+\), skipped 2, failed 0$/);
        expect(third.stderr).toMatch(/skipped .*a\.txt \(modtime\)/);
        const [cat, mtime] = await Promise.all([
          ufs(['cat', `${dest}/docs/b.txt`], { env }),
          mtimeOf(`${dest}/docs/b.txt`),
        ]);
        expect(cat.stdout).toBe('CONTENT OF docs/b.txt');
        expect(mtime).toBe(now.toISOString());
      } finally {
        await writeFile(touched, 'content of docs/b.txt');
        await utimes(touched, before.atime, before.mtime);
      }
    },
    60_000,
  );

  it('--no-modtime gives copies the time they are written', async () => {
    const started = Date.now();
    const dest = join(box.dir, 'fresh');
    expect((await ufs(['cp', '--no-modtime', src, dest], { env })).status).toBe(0);
    expect((await stat(join(dest, 'a.txt'))).mtimeMs).toBeGreaterThanOrEqual(started - 1000);
  });

  it("by default times are compared to the backends' precision (local: ms); --modify-window widens it; a bad window is a usage error", async () => {
    const dest = join(box.dir, 'window');
    expect((await ufs(['cp', src, dest], { env })).status).toBe(0);
    const shifted = new Date(TIMES['a.txt']!.getTime() + 400);
    await utimes(join(dest, 'a.txt'), shifted, shifted);
    const loose = await ufs(['cp', '--skip', 'modtime', '--modify-window', '1s', '--json', src, dest], { env });
    expect(loose.json<Summary>()).toMatchObject({ files: 0, skipped: 3 });
    const exact = await ufs(['cp', '--skip', 'modtime', '--json', src, dest], { env });
    expect(exact.json<Summary>()).toMatchObject({ files: 1, skipped: 2 });
    const bads = await Promise.all(
      ['soon', '1000000000000000000000', '25h'].map((window) =>
        ufs(['cp', '--skip', 'modtime', '--modify-window', window, src, dest], { env }),
      ),
    );
    for (const bad of bads) {
      expect(bad.status).toBe(64); // EX_USAGE
      expect(bad.stderr).toMatch(/--modify-window/);
    }
    const day = await ufs(['cp', '--skip', 'modtime', '--modify-window', '24h', '--json', src, dest], { env });
    expect(day.status).toBe(0);
  });

  it('ufs mv --skip modtime leaves unchanged files at the source', async () => {
    const from = join(box.dir, 'moving');
    const dest = join(box.dir, 'moved');
    const copies = await Promise.all([ufs(['cp', src, from], { env }), ufs(['cp', src, dest], { env })]);
    expect(copies.map((copy) => copy.status)).toEqual([0, 0]);
    const run = await ufs(['mv', '--skip', 'modtime', '--json', from, dest], { env });
    expect(run.json<Summary>()).toMatchObject({ files: 0, skipped: 3 });
    expect((await stat(join(from, 'a.txt'))).isFile()).toBe(true);
  });
});
