import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

interface Summary {
  files: number;
  bytes: number;
  skipped: number;
  errors: Array<{ path: string; error: { code: string } }>;
}

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let src: string;
const blob = randomBytes(200_000);

beforeAll(async () => {
  box = await sandbox();
  src = join(box.dir, 'src');
  await mkdir(join(src, 'guide'), { recursive: true });
  await writeFile(join(src, 'readme.md'), '# readme\n');
  await writeFile(join(src, 'guide/intro.md'), '# intro\n');
  await writeFile(join(src, 'blob.bin'), blob);
  await mkdir(join(box.dir, 'locked'), { recursive: true });
  const s3 = await s3Bucket();
  const config = {
    mounts: {
      s3: s3.mount,
      locked: { protocol: 'local', root: join(box.dir, 'locked'), permissions: 'readonly' },
    },
  };
  await mkdir(join(box.env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(box.env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify(config));
  env = box.env;
}, 60_000);
afterAll(() => box.cleanup());

describe('ufs cp', () => {
  it('copies a local tree to S3 and prints a summary; the bytes arrive intact', async () => {
    const run = await ufs(['cp', src, 's3:backup'], { env });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^copied 3 files \(.+\), skipped 0, failed 0$/);
    const back = join(box.dir, 'back');
    const [list, copyBack] = await Promise.all([
      ufs(['ls', '-r', '--json', 's3:backup'], { env }),
      ufs(['cp', 's3:backup', back], { env }),
    ]);
    const files = list
      .json<Array<{ path: string; isDir: boolean }>>()
      .filter((e) => !e.isDir)
      .map((e) => e.path);
    expect(files.sort()).toEqual(['s3:backup/blob.bin', 's3:backup/guide/intro.md', 's3:backup/readme.md']);
    expect(copyBack.status).toBe(0);
    expect((await readFile(join(back, 'blob.bin'))).equals(blob)).toBe(true);
  });

  it('--skip size leaves files that are already there; --json gives the counts', async () => {
    const run = await ufs(['cp', '--skip', 'size', '--json', src, 's3:backup'], { env });
    expect(run.status).toBe(0);
    expect(run.json<Summary>()).toMatchObject({ files: 0, skipped: 3, errors: [] });
    await writeFile(join(src, 'readme.md'), '# readme, longer now\n');
    const again = await ufs(['cp', '--skip', 'size', '--json', src, 's3:backup'], { env });
    expect(again.json<Summary>()).toMatchObject({ files: 1, skipped: 2 });
  });

  it('--include / --exclude pick files by glob', async () => {
    const out = join(box.dir, 'md-only');
    const run = await ufs(['cp', '--include', '**/*.md', '--exclude', 'guide/**', '--verbose', src, out], {
      env: { ...env, UFS_PROGRESS: '1' },
    });
    expect(run.stdout.trim()).toMatch(/^copied 1 file /);
    expect(run.stderr).toMatch(/readme\.md → .*readme\.md \(\d+ bytes, \w+\)/); // --verbose: one line per file
    expect(run.stderr).toMatch(/^\d+ bytes( \/ \d+ bytes)? /m); // the forced progress display
    expect(existsSync(join(out, 'readme.md'))).toBe(true);
    expect(existsSync(join(out, 'guide/intro.md'))).toBe(false);
    expect(existsSync(join(out, 'blob.bin'))).toBe(false);
  });

  it('copies several files into a folder (trailing /), and a file to a new name', async () => {
    const run = await ufs(['cp', join(src, 'readme.md'), join(src, 'blob.bin'), 's3:inbox/'], { env });
    expect(run.status).toBe(0);
    const [ls] = await Promise.all([
      ufs(['ls', 's3:inbox'], { env }),
      (async () => {
        expect((await ufs(['cp', 's3:inbox/readme.md', 's3:renamed.md'], { env })).status).toBe(0);
        expect((await ufs(['cat', 's3:renamed.md'], { env })).stdout).toBe('# readme, longer now\n');
      })(),
    ]);
    expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(['blob.bin', 'readme.md']);
  });

  it('a missing source is 66; a readonly destination fails each file with 77', async () => {
    const [missing, ro] = await Promise.all([
      ufs(['cp', join(box.dir, 'nope'), 's3:x'], { env }),
      ufs(['cp', src, 'locked:copy'], { env }),
    ]);
    expect(missing.status).toBe(66);
    expect(ro.status).toBe(77);
    expect(ro.stdout).toMatch(/failed 3$/m);
  });
});

describe('ufs mv', () => {
  it('moves within S3 and from local to S3; sources are gone afterwards', async () => {
    expect((await ufs(['mv', 's3:renamed.md', 's3:moved/renamed.md'], { env })).status).toBe(0);
    const [gone, moved] = await Promise.all([
      ufs(['cat', 's3:renamed.md'], { env }),
      ufs(['cat', 's3:moved/renamed.md'], { env }),
    ]);
    expect(gone.status).toBe(66);
    expect(moved.stdout).toBe('# readme, longer now\n');
    const local = join(box.dir, 'to-move');
    await mkdir(join(local, 'sub'), { recursive: true });
    await writeFile(join(local, 'sub/x.txt'), 'x');
    const run = await ufs(['mv', '--json', local, 's3:moved/tree'], { env });
    expect(run.json<Summary>()).toMatchObject({ files: 1, errors: [] });
    expect(existsSync(join(local, 'sub/x.txt'))).toBe(false);
    expect((await ufs(['cat', 's3:moved/tree/sub/x.txt'], { env })).stdout).toBe('x');
  });
});
