import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHostingFake, type HostingFake } from './fakes/hosting.js';
import { BIN, sandbox, ufs } from './helpers/ufs.js';

/**
 * What `ufs upload` copies to a temporary file before uploading it (stdin; /proc and /sys files, whose stat size is
 * not their content's): a stdin that is a folder, an unusable TMPDIR, a signal while stdin is read, pseudo files.
 */
let fake: HostingFake;
let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let fileA: string;
let fileB: string;

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const fetchBytes = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());
const spools = () => readdirSync(box.dir).filter((name) => /^ufs-(stdin|spool)-/.test(name));

beforeAll(async () => {
  fake = await startHostingFake();
  box = await sandbox();
  env = { ...box.env, ...fake.env, TMPDIR: box.dir };
  fileA = join(box.dir, 'a.txt');
  fileB = join(box.dir, 'b.txt');
  await writeFile(fileA, 'file a\n');
  await writeFile(fileB, 'file b\n');
  await mkdir(join(box.dir, 'folder'));
});
afterAll(async () => {
  await fake.close();
  await box.cleanup();
});
beforeEach(() => {
  fake.mode.catbox = 'ok';
  fake.mode['0x0'] = 'ok';
});
/** The processes `start` spawned: one a failed test left waiting on its stdin is ended, not left behind. */
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Child {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

/** `ufs …` as a real process, its stdin a pipe the test writes to, or a file descriptor. */
function start(args: string[], stdin: 'pipe' | number = 'pipe'): Child {
  const outer = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('UFS_') && key !== 'NODE_OPTIONS'),
  );
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...outer, ...env }, stdio: [stdin, 'pipe', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  children.push(child);
  const c: Child = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('close', (status) => resolve(status))),
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (c.stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (c.stderr += chunk));
  return c;
}

async function until(test: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('stdin that is a folder (ufs upload - < folder)', () => {
  it('fails that file with one line naming stdin (64), not an empty upload; the other files go on', async () => {
    const fd = openSync(join(box.dir, 'folder'), 'r');
    let run: Child;
    try {
      run = start(['upload', '-p', '0x0', fileA, '-'], fd);
    } finally {
      closeSync(fd);
    }
    const status = await run.exited;
    expect(status).toBe(64);
    const lines = run.stdout.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^http:/);
    expect(lines.slice(1)).toEqual(['', '']);
    expect(run.stderr.trim().split('\n')).toEqual([
      '[ufs] upload "-": read stdin: is a folder',
      '1 of 2 uploads failed',
    ]);
    expect(fake.uploads.some((upload) => upload.size === 0)).toBe(false);
  });
});

describe('an unusable temporary folder', () => {
  it('fails the stdin item with a line naming the folder and TMPDIR (78); the other file is uploaded', async () => {
    const nope = join(box.dir, 'nope');
    const run = await ufs(['upload', '-p', '0x0', fileA, '-'], { env: { ...env, TMPDIR: nope }, input: 'hi\n' });
    expect(run.status).toBe(78);
    expect(run.stdout.split('\n')).toEqual([expect.stringMatching(/^http:/), '', '']);
    expect(run.stderr.trim().split('\n')).toEqual([
      `[ufs] upload "-": cannot spool stdin into the temporary folder "${nope}" (TMPDIR): no such folder (set TMPDIR to a writable folder)`,
      '1 of 2 uploads failed',
    ]);
  });
});

describe('a signal while stdin is spooled', () => {
  it('the other files upload meanwhile; SIGINT keeps their lines, one empty for stdin, the usual summary', async () => {
    const before = fake.uploads.length;
    const run = start(['upload', '-p', 'catbox', fileA, '-', fileB]);
    run.child.stdin!.write(Buffer.alloc(1000, 1));
    // a.txt and b.txt are uploaded (and verified) while stdin is still open
    await until(() => fake.uploads.length === before + 2 && run.stdout.split('\n').length === 2, 'the two files');
    expect(spools()).toHaveLength(1);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const lines = run.stdout.split('\n');
    expect(lines).toEqual([expect.stringMatching(/^http:.*\.txt$/), '', expect.stringMatching(/^http:.*\.txt$/), '']);
    expect(run.stderr.trim().split('\n')).toEqual(['[ufs] upload: interrupted (SIGINT): 2 of 3 files uploaded']);
    expect(spools()).toEqual([]);
  });

  it('with --json, SIGTERM: the per-file array, stdin ABORTED (143)', async () => {
    const before = fake.uploads.length;
    const run = start(['upload', '-p', 'catbox', '--json', '--verbose', fileA, '-']);
    run.child.stdin!.write(Buffer.alloc(1000, 1));
    // a.txt is uploaded and verified (--verbose: "a.txt: catbox: ok URL") while stdin is still open
    await until(() => fake.uploads.length === before + 1 && /: catbox: ok http/.test(run.stderr), 'a.txt');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    const items = JSON.parse(run.stdout) as Array<{ path: string; ok: boolean; error?: { code: string } }>;
    expect(items.map((item) => [item.path, item.ok, item.error?.code])).toEqual([
      [fileA, true, undefined],
      ['-', false, 'ABORTED'],
    ]);
    expect(run.stderr.trim().split('\n').at(-1)).toBe('[ufs] upload: interrupted (SIGTERM): 1 of 2 files uploaded');
    expect(spools()).toEqual([]);
  });

  it('stdin complete: it is uploaded and its line is in its place', async () => {
    const run = await ufs(['upload', '-p', '0x0', fileA, '-', fileB], { env, input: 'from stdin\n' });
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect((await fetchBytes(lines[1]!)).toString()).toBe('from stdin\n');
    expect((await fetchBytes(lines[2]!)).toString()).toBe('file b\n');
    expect(spools()).toEqual([]);
  });
});

describe('concurrency with spooled inputs', () => {
  it('-c 1: stdin first, its line first, everything uploaded one at a time', async () => {
    const run = await ufs(['upload', '-c', '1', '-p', '0x0', '-', fileA, '/proc/version'], { env, input: 'one\n' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect((await fetchBytes(lines[0]!)).toString()).toBe('one\n');
    expect((await fetchBytes(lines[1]!)).toString()).toBe('file a\n');
    expect((await fetchBytes(lines[2]!)).toString()).toBe(readFileSync('/proc/version', 'utf8'));
  });

  it('stdin named like another file ("stdin"): both go as one batch, still uploaded', async () => {
    const named = join(box.dir, 'stdin');
    await writeFile(named, 'a file called stdin\n');
    const run = await ufs(['upload', '-p', '0x0', named, '-'], { env, input: 'two\n' });
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect((await fetchBytes(lines[0]!)).toString()).toBe('a file called stdin\n');
    expect((await fetchBytes(lines[1]!)).toString()).toBe('two\n');
  });
});

describe('files whose size is not their content (/proc, /sys)', () => {
  it('/proc/cpuinfo is uploaded whole (spooled first), shown under its own path', async () => {
    const run = await ufs(['upload', '-p', '0x0,catbox', '--json', '/proc/cpuinfo'], { env });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [item] = run.json<Array<{ path: string; ok: boolean; url: string; size: number; sha256: string }>>();
    expect(item).toMatchObject({ path: '/proc/cpuinfo', ok: true });
    expect(item!.size).toBeGreaterThan(0);
    const served = await fetchBytes(item!.url);
    expect(served.length).toBe(item!.size);
    expect(sha(served)).toBe(item!.sha256);
    expect(fake.uploads.at(-1)!.name).toBe('cpuinfo');
    expect(spools()).toEqual([]);
  });

  // Present wherever sysfs is mounted (every Linux machine these tests run on); stat says 4096 bytes, it holds a few.
  const sysFile = '/sys/devices/system/cpu/online';
  it('a /sys file (stat size 4096) is uploaded with its real content', async () => {
    const run = await ufs(['upload', '-p', 'catbox', sysFile, fileA], { env });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [url] = run.stdout.trim().split('\n');
    expect((await fetchBytes(url!)).toString()).toBe(readFileSync(sysFile, 'utf8'));
  });

  it('a missing /proc file is one line naming it', async () => {
    const run = await ufs(['upload', '-p', '0x0', '/proc/no-such-file'], { env });
    expect(run.status).toBe(66);
    expect(run.stderr.trim()).toContain('"/proc/no-such-file"');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
