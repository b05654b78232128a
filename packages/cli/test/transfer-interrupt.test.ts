import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

/**
 * Ctrl-C in the middle of a tree copy/move: the summary (and `--json`) must count what was done before it, not
 * print "copied 0 files" with hundreds of files already at the destination.
 */

const FILES = 1000;
const TEMP = /^\.ufs-.*\.tmp$/;

let box: Awaited<ReturnType<typeof sandbox>>;
let s3: Awaited<ReturnType<typeof s3Bucket>>;
let a: string;

// One bucket for the file: every test writes below a prefix of its own (cp, mv, skip, fail, mvfail).
beforeAll(async () => {
  s3 = await s3Bucket();
}, 60_000);
beforeEach(async () => {
  box = await sandbox();
  a = join(box.dir, 'a');
  await mkdir(join(a, 'many'), { recursive: true });
  for (let i = 0; i < FILES; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, FILES - i) }, (_, j) =>
        writeFile(join(a, 'many', `f${String(i + j).padStart(5, '0')}.txt`), `file ${i + j}\n`),
      ),
    );
  }
  await mkdir(join(box.env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  // Local to S3 (as a copy to a remote server): bytes are streamed file by file.
  await writeFile(
    join(box.env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'),
    stringify({ mounts: { a: { protocol: 'local', root: a }, s3: s3.mount } }),
  );
}, 60_000);
afterEach(() => box.cleanup());

/** Objects in the bucket below `prefix/`. */
async function objects(prefix: string): Promise<number> {
  const page = await s3.client.send(
    new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/`, MaxKeys: 1000 }),
  );
  return page.KeyCount ?? 0;
}

/** Files in `dir` (not the temporary files of writes in progress). */
function placed(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => !TEMP.test(name));
  } catch {
    return [];
  }
}

/** Runs `ufs <args>` and sends SIGINT once `atLeast` objects are below `prefix/` in the bucket. */
async function interruptAfter(args: string[], prefix: string, atLeast: number) {
  let sent = false;
  const run = await ufs(args, {
    env: box.env,
    timeoutMs: 120_000,
    onSpawn: (child) => {
      let exited = false;
      child.once('exit', () => (exited = true));
      const poll = async () => {
        while (!exited && !sent) {
          if ((await objects(prefix)) >= atLeast) {
            sent = true;
            child.kill('SIGINT');
          } else await new Promise((wake) => setTimeout(wake, 50));
        }
      };
      void poll();
    },
  });
  expectInterrupted(run);
  return { run, sent };
}

/** Exit 130, and no crash after the summary (a source stream aborted before it was read used to end it with 1). */
function expectInterrupted(run: { status: number | null; stderr: string }): void {
  expect(run.stderr).not.toMatch(/Unhandled 'error' event/);
  expect(run.status).toBe(130);
}

describe('Ctrl-C during a tree transfer: the summary counts what was done', () => {
  it('cp: "copied N files" with N the files at the destination, exit 130', async () => {
    const { run, sent } = await interruptAfter(['cp', '-c', '1', 'a:many', 's3:cp'], 'cp', 20);
    expect(sent).toBe(true);
    const there = await objects('cp');
    expect(there).toBeGreaterThanOrEqual(20);
    expect(there).toBeLessThan(FILES);
    const copied = Number(/^copied (\d+) files \(.+\), skipped 0, failed 0$/.exec(run.stdout.trim())?.[1]);
    // Exact, but for the one file in flight (-c 1): its object may be stored when the interruption ends its request.
    expect(there - copied).toBeGreaterThanOrEqual(0);
    expect(there - copied).toBeLessThanOrEqual(1);
    expect(run.stderr.trim()).toMatch(/aborted after \d+ file/);
  });

  it('mv: "moved N files" with N the sources removed; --json gives the counts with the error', async () => {
    const { run, sent } = await interruptAfter(['mv', '--json', '-c', '1', 'a:many', 's3:mv'], 'mv', 20);
    expect(sent).toBe(true);
    const moved = FILES - placed(join(a, 'many')).length;
    expect(moved).toBeGreaterThanOrEqual(20);
    // The file in flight may be at the destination with its source still there: not moved.
    expect((await objects('mv')) - moved).toBeGreaterThanOrEqual(0);
    expect((await objects('mv')) - moved).toBeLessThanOrEqual(1);
    const { error } = run.json<{
      error: { code: string; exitCode: number; context: { files: number; bytes: number; skipped: number } };
    }>();
    expect(error).toMatchObject({ code: 'ABORTED', exitCode: 130 });
    expect(error.context).toMatchObject({ files: moved, skipped: 0, errors: [] });
    expect(error.context.bytes).toBeGreaterThan(moved * 7);
  });

  it('--skip: skipped files count too (as many as --verbose reported)', async () => {
    // Every other file is already there: those are skipped, the others copied, until the interruption.
    for (let i = 0; i < FILES; i += 100) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => i + 2 * j).map((n) =>
          s3.put(`skip/f${String(n).padStart(5, '0')}.txt`, `file ${n}\n`),
        ),
      );
    }
    const { run, sent } = await interruptAfter(
      ['cp', '--json', '--verbose', '--skip', 'size', '-c', '1', 'a:many', 's3:skip'],
      'skip',
      FILES / 2 + 20,
    );
    expect(sent).toBe(true);
    const there = (await objects('skip')) - FILES / 2;
    const skipped = run.stderr.split('\n').filter((line) => /^skipped .* \(size\)$/.test(line)).length;
    expect(skipped).toBeGreaterThan(0);
    const { error } = run.json<{ error: { context: { files: number; skipped: number } } }>();
    expect(error.context.skipped).toBe(skipped);
    expect(there - error.context.files).toBeGreaterThanOrEqual(0); // the file in flight, as above
    expect(there - error.context.files).toBeLessThanOrEqual(1);
    expect(error.context.files).toBeGreaterThan(0);
  });

  describe('files that failed before the interruption count too', () => {
    /** The first 100 files of even number are already at `prefix/` in the bucket: `-n` (no clobber) fails them. */
    const FAILED = 50;
    async function occupy(prefix: string): Promise<string[]> {
      const names = Array.from({ length: FAILED }, (_, j) => `f${String(2 * j).padStart(5, '0')}.txt`);
      await Promise.all(names.map((name) => s3.put(`${prefix}/${name}`, 'already there\n')));
      return names;
    }
    /**
     * The listing is in name order and `-c 1` takes one file at a time: once FAILED + 70 objects are in the bucket,
     * files up to f00119 went through, and every failure happened.
     */
    const AFTER = FAILED + 70;

    it('cp: "failed N" in the summary, one line each on stderr', async () => {
      const names = await occupy('fail');
      const { run, sent } = await interruptAfter(['cp', '-n', '-c', '1', 'a:many', 's3:fail'], 'fail', AFTER);
      expect(sent).toBe(true);
      const there = (await objects('fail')) - FAILED;
      const summary = /^copied (\d+) files \(.+\), skipped 0, failed (\d+)$/.exec(run.stdout.trim());
      expect(Number(summary?.[2])).toBe(FAILED);
      expect(there - Number(summary?.[1])).toBeGreaterThanOrEqual(0); // the file in flight, as above
      expect(there - Number(summary?.[1])).toBeLessThanOrEqual(1);
      for (const name of names) expect(run.stderr).toContain(name);
      expect(run.stderr).toMatch(/already exists/);
      expect(run.stderr.trim()).toMatch(/aborted after \d+ file/);
    });

    it('mv --json: the context of the ABORTED error lists them in `errors`', async () => {
      const names = await occupy('mvfail');
      const { run, sent } = await interruptAfter(
        ['mv', '--json', '-n', '-c', '1', 'a:many', 's3:mvfail'],
        'mvfail',
        AFTER,
      );
      expect(sent).toBe(true);
      const { error } = run.json<{
        error: {
          code: string;
          context: { files: number; errors: Array<{ path: string; dest: string; error: { code: string } }> };
        };
      }>();
      expect(error.code).toBe('ABORTED');
      expect(error.context.errors.map((e) => e.error.code)).toEqual(Array(FAILED).fill('ALREADY_EXISTS'));
      expect(error.context.errors.map((e) => e.path)).toEqual(names.map((name) => `a:many/${name}`));
      // Failed files stay at the source; the others there are those not moved yet.
      const left = placed(join(a, 'many'));
      for (const name of names) expect(left).toContain(name);
      expect(error.context.files).toBe(FILES - left.length);
    });
  });
});
