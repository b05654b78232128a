import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BIN, sandbox } from './helpers/ufs.js';

/**
 * A catbox stand-in whose answers the test releases one by one (`POST /catbox/user/api.php` answers the URL as text;
 * with --no-verify nothing is downloaded), so an upload can be held in flight while the test watches stdout or
 * sends a signal.
 */
interface SlowCatbox {
  base: string;
  /** Uploads received so far (their request bodies were read). */
  received: number;
  /** Answers the oldest held upload (or the next one, as soon as it arrives). */
  release(): void;
  close(): Promise<void>;
}

async function startSlowCatbox(): Promise<SlowCatbox> {
  const held: ServerResponse[] = [];
  let credit = 0;
  let count = 0;
  const answer = (res: ServerResponse) => {
    count += 1;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${state.base}/catbox/f/${count}.txt\n`);
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      state.received += 1;
      if (credit > 0) {
        credit -= 1;
        answer(res);
      } else held.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const state: SlowCatbox = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: 0,
    release() {
      const res = held.shift();
      if (res) answer(res);
      else credit += 1;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}

interface Child {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
  /** Resolves once `test` holds for the output so far. */
  until(test: (c: Child) => boolean): Promise<void>;
}

function start(args: string[], env: Record<string, string>, stdout: 'pipe' | number = 'pipe'): Child {
  const outer = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('UFS_') && key !== 'NODE_OPTIONS'),
  );
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...outer, ...env },
    stdio: ['pipe', stdout, 'pipe'],
  });
  // ufs closes stdin when it stops reading it (a signal while spooling): no EPIPE in the test process
  child.stdin!.on('error', () => undefined);
  const waiters: Array<() => void> = [];
  const c: Child = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
    // woken by output, and every 20 ms for conditions on the server's side
    until: async (test) => {
      while (!test(c)) await new Promise<void>((wake) => (waiters.push(wake), setTimeout(wake, 20)));
    },
  };
  const wake = () => waiters.splice(0).forEach((w) => w());
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => ((c.stdout += chunk), wake()));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => ((c.stderr += chunk), wake()));
  child.once('close', wake);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.once('close', () => clearTimeout(timer));
  return c;
}

let box: Awaited<ReturnType<typeof sandbox>>;
let catbox: SlowCatbox;
let env: Record<string, string>;
const files: string[] = [];

beforeAll(async () => {
  box = await sandbox();
  for (const name of ['one.txt', 'two.txt', 'three.txt']) {
    const path = join(box.dir, name);
    await writeFile(path, `${name}\n`);
    files.push(path);
  }
});
afterAll(async () => {
  await box.cleanup();
});
afterEach(async () => {
  await catbox?.close();
});

async function fresh(): Promise<void> {
  catbox = await startSlowCatbox();
  env = { ...box.env, UFS_CATBOX_URL: `${catbox.base}/catbox`, TMPDIR: box.dir };
}

describe('ufs upload prints each URL as soon as the files before it are done', () => {
  it('line 1 is out while file 2 is still uploading', async () => {
    await fresh();
    const run = start(['upload', '-p', 'catbox', '--no-verify', '-c', '1', ...files], env);
    catbox.release();
    await run.until((c) => c.stdout.includes('\n'));
    expect(run.stdout).toBe(`${catbox.base}/catbox/f/1.txt\n`);
    catbox.release();
    catbox.release();
    expect(await run.exited).toBe(0);
    expect(run.stdout.split('\n')).toEqual([1, 2, 3].map((n) => `${catbox.base}/catbox/f/${n}.txt`).concat(''));
  });
});

describe('SIGTERM, SIGHUP and SIGINT stop ufs upload like Ctrl-C: the finished URLs stay, 128 + the signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ] as const)('%s: exit %d, line 1 printed, one line on stderr', async (signal, status) => {
    await fresh();
    const run = start(['upload', '-p', 'catbox', '--no-verify', '-c', '1', ...files], env);
    catbox.release();
    await run.until((c) => c.stdout.includes('\n') && catbox.received === 2);
    run.child.kill(signal);
    expect(await run.exited).toBe(status);
    // line N is still the URL of file N: the two stopped ones are empty
    expect(run.stdout).toBe(`${catbox.base}/catbox/f/1.txt\n\n\n`);
    expect(run.stderr.trim().split('\n')).toEqual([`[ufs] upload: interrupted (${signal}): 1 of 3 files uploaded`]);
    expect(catbox.received).toBe(2); // the third was never started
  });

  it('SIGTERM while stdin is spooled removes the spool (exit 143)', async () => {
    await fresh();
    const run = start(['upload', '-p', 'catbox', '-'], env);
    run.child.stdin!.write(Buffer.alloc(1 << 20));
    const spools = () => readdirSync(box.dir).filter((name) => name.startsWith('ufs-stdin-'));
    while (spools().length === 0) await new Promise((r) => setTimeout(r, 10));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(spools()).toEqual([]);
    // the contract of any interrupt: a line per file (empty: stdin was stopped) and the summary line
    expect(run.stdout).toBe('\n');
    expect(run.stderr.trim().split('\n')).toEqual(['[ufs] upload: interrupted (SIGTERM): 0 of 1 file uploaded']);
  });

  it('SIGTERM while the spooled stdin uploads removes the spool too', async () => {
    await fresh();
    const run = start(['upload', '-p', 'catbox', '--no-verify', '-'], env);
    run.child.stdin!.end(Buffer.alloc(1 << 20));
    await run.until(() => catbox.received === 1);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(readdirSync(box.dir).filter((name) => name.startsWith('ufs-stdin-'))).toEqual([]);
    expect(run.stdout).toBe('\n');
  });
});

describe('a stdout that fails', () => {
  it('> /dev/full: one line naming the error, the status of its code (UNAVAILABLE, 69), no stack', async () => {
    await fresh();
    for (const json of [[], ['--json']]) {
      const full = openSync('/dev/full', 'w');
      try {
        const run = start(['upload', '-p', 'catbox', '--no-verify', ...json, files[0]!], env, full);
        catbox.release();
        expect(await run.exited).toBe(69);
        expect(run.stderr).toBe('[ufs] cannot write to stdout: no space left on device (ENOSPC)\n');
      } finally {
        closeSync(full);
      }
    }
  });

  it('a reader that closed its end: 141, quietly, and the other uploads are not started', async () => {
    await fresh();
    const run = start(['upload', '-p', 'catbox', '--no-verify', '-c', '1', ...files], env);
    run.child.stdout!.destroy();
    catbox.release();
    expect(await run.exited).toBe(141);
    expect(run.stderr).toBe('');
    expect(catbox.received).toBeLessThan(3);
  });
});
