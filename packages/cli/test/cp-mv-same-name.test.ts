// `ufs cp`/`mv` with several sources of one name into one folder (`a/x b/x dest/`): the later source would overwrite
// what the earlier has just written (and a move would delete both sources), so it is refused before anything is
// transferred, naming both; it stays where it is, the other sources go on, and the exit status says it failed (GNU
// cp/mv: "will not overwrite just-created"). Real processes, local folders, the radosgw of @org/test-services, and
// the Dropbox API fake (a destination that does not tell upper from lower case).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDropboxFake, type DropboxFake } from '@org/test-services';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { readTree, writeTree } from './helpers/tree.js';
import { sandbox, ufs } from './helpers/ufs.js';

interface Result {
  files: number;
  bytes: number;
  skipped: number;
  errors: Array<{ path: string; dest: string; error: { code: string; message: string; context: object } }>;
}

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let s3: Awaited<ReturnType<typeof s3Bucket>>;
let dropbox: DropboxFake;
let n = 0;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  s3 = await s3Bucket();
  dropbox = await startDropboxFake();
  dropbox.tokens.add('tok');
  const mounts = { s3: s3.mount, box: { protocol: 'dropbox', accessToken: 'tok', apiBaseUrl: dropbox.url } };
  await mkdir(join(env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify({ mounts }));
}, 60_000);
afterAll(async () => {
  await dropbox?.close();
  await box.cleanup();
});

/** A fresh working folder holding these files (relative path → content). */
const seed = (layout: Record<string, string>) => writeTree(join(box.dir, `w${++n}`), layout);
const files = readTree;

describe('several sources of one name into one folder', () => {
  it('mv of two folders: the later is refused and stays, the earlier is moved (no data lost)', async () => {
    const cwd = await seed({ 'sa/d/k': '1', 'sb/d/k': '22' });
    const run = await ufs(['mv', 'sa/d', 'sb/d', 'samemv/'], { env, cwd });
    expect(run.stderr.trim()).toBe(
      '[ufs] mv "sb/d": not moved, it stays where it is: "sa/d", an earlier source of the same name, goes to "samemv/d", and this one would overwrite it',
    );
    expect(run.stdout).toBe('moved 1 file (1 bytes), skipped 0, failed 1\n');
    expect(run.status).toBe(64);
    expect(await files(cwd)).toEqual({ 'samemv/d/k': '1', 'sb/d/k': '22' });
  });

  it('mv of two files to S3 (--json): the second is an error naming both, and stays; other sources go on', async () => {
    const cwd = await seed({ 'sa/x.txt': 'first', 'sb/x.txt': 'second', 'sc/y.txt': 'other' });
    const run = await ufs(['mv', '--json', 'sa/x.txt', 'sb/x.txt', 'sc/y.txt', 's3:samemv2/'], { env, cwd });
    expect(run.status).toBe(64);
    const result = run.json<Result>();
    expect(result).toMatchObject({ files: 2, skipped: 0 });
    expect(result.errors).toEqual([
      {
        path: join(cwd, 'sb/x.txt'),
        dest: 's3:samemv2/x.txt',
        error: expect.objectContaining({
          code: 'INVALID_INPUT',
          message:
            '[ufs] mv "sb/x.txt": not moved, it stays where it is: "sa/x.txt", an earlier source of the same name, goes to "s3:samemv2/x.txt", and this one would overwrite it',
          context: {
            operation: 'move',
            path: join(cwd, 'sb/x.txt'),
            dest: 's3:samemv2/x.txt',
            clashesWith: join(cwd, 'sa/x.txt'),
          },
        }),
      },
    ]);
    expect(await files(cwd)).toEqual({ 'sb/x.txt': 'second' });
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'samemv2/' }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(['samemv2/x.txt', 'samemv2/y.txt']);
    const got = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'samemv2/x.txt' }));
    expect(await got.Body!.transformToString()).toBe('first');
  });

  it('cp keeps the first copy; a missing source takes no name; the same source typed twice is no clash', async () => {
    const cwd = await seed({ 'a/x.txt': 'from a', 'b/x.txt': 'from b', 'c/x.txt': 'from c' });
    const run = await ufs(['cp', 'missing/x.txt', 'a/x.txt', 'b/x.txt', 'a/x.txt', 'out/'], { env, cwd });
    // In the order of the sources.
    expect(run.stderr.trim().split('\n')).toEqual([
      '[ufs] [local] stat "missing/x.txt": no such file or folder',
      '[ufs] cp "b/x.txt": not copied: "a/x.txt", an earlier source of the same name, goes to "out/x.txt", and this one would overwrite it',
    ]);
    expect(run.stdout).toBe('copied 2 files (12 bytes), skipped 0, failed 2\n');
    expect(run.status).toBe(1); // NOT_FOUND and INVALID_INPUT: "something failed"
    expect(await files(join(cwd, 'out'))).toEqual({ 'x.txt': 'from a' });
    // Each source alone, or names that differ, are not refused.
    const alone = await ufs(['cp', 'b/x.txt', 'out/'], { env, cwd });
    expect(alone.status).toBe(0);
    const missingFirst = await ufs(['mv', 'missing/x.txt', 'c/x.txt', 'moved/'], { env, cwd });
    expect(missingFirst.status).toBe(66);
    expect(await files(join(cwd, 'moved'))).toEqual({ 'x.txt': 'from c' });
  });

  it('to a destination that ignores case (Dropbox), names differing only in case are one name', async () => {
    const cwd = await seed({ 'a/Report.txt': 'upper', 'b/report.txt': 'lower' });
    const run = await ufs(['mv', '--json', 'a/Report.txt', 'b/report.txt', 'box:in/'], { env, cwd });
    expect(run.status).toBe(64);
    const result = run.json<Result>();
    expect(result.files).toBe(1);
    expect(result.errors.map((e) => e.error.message)).toEqual([
      '[ufs] mv "b/report.txt": not moved, it stays where it is: "a/Report.txt", an earlier source, goes to "box:in/Report.txt", the same name where case is ignored (the destination does not tell upper from lower case), and this one would overwrite it',
    ]);
    expect(await files(cwd)).toEqual({ 'b/report.txt': 'lower' });
    const cat = await ufs(['cat', 'box:in/report.txt'], { env });
    expect(cat.stdout).toBe('upper');
    // A case-sensitive destination takes both.
    const other = await seed({ 'a/Report.txt': 'upper', 'b/report.txt': 'lower' });
    const local = await ufs(['cp', 'a/Report.txt', 'b/report.txt', 'both/'], { env, cwd: other });
    expect(local.status).toBe(0);
    expect(await files(join(other, 'both'))).toEqual({ 'Report.txt': 'upper', 'report.txt': 'lower' });
  });
});
