import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, symlinkSync, truncateSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countingProxy, type CountingProxy } from './helpers/counting-proxy.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs, type Run } from './helpers/ufs.js';

// `ufs scan` never hangs on a file or a server, and says what a stop left undone: a file replaced by a FIFO (or
// truncated, or deleted) between its record and its upload fails alone, as the local file's failure; a server that
// never answers ends in TIMEOUT, and Ctrl-C stops a scan waiting for it at once, with the summary; records whose
// content a stop left without uploading are counted. Against a real `ufs serve`, through a proxy that changes files
// when it sees a request, and a TCP server that takes connections and never answers.

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string; context: { path?: string } }>;
  error?: { code: string; exitCode: number; message: string };
}

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let proxy: CountingProxy;
let slow: CountingProxy;
let silent: Server;
let silentUrl: string;
const sockets = new Set<Socket>();
let env: Record<string, string>;
let fault: ((req: IncomingMessage) => number | undefined) | undefined;

/** A run that would hang fails the test in `timeoutMs` instead of the suite's timeout. */
function scan(hostname: string, args: readonly string[], root: string, extraEnv: Record<string, string> = {}) {
  return ufs(['scan', '--hostname', hostname, '--json', '--no-cache', ...args, root], {
    env: { ...env, ...extraEnv },
    timeoutMs: 30_000,
  });
}

async function records(hostname: string): Promise<Array<{ filepath: string; has_file_content: boolean }>> {
  const res = await fetch(`${server.url}/files?hostname=${hostname}&limit=1000`, {
    headers: { 'x-api-key': server.apiKey! },
  });
  return ((await res.json()) as { items: never[] }).items;
}

async function dir(name: string, files: Record<string, Buffer | string>): Promise<string> {
  const root = join(box.dir, name);
  await mkdir(root, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(join(root, file), content);
  return root;
}

const WORKER = fileURLToPath(new URL('../dist/scan/hash-worker.js', import.meta.url));

/**
 * The built hash worker's answer to `task`, run in a child process: a worker blocked on a FIFO (the bug) fails the
 * test by the child's timeout instead of blocking the test's own thread.
 */
function hashInChild(task: object): Promise<unknown> {
  const script = `const { default: hash } = await import(${JSON.stringify(WORKER)}); process.stdout.write(JSON.stringify(await hash(${JSON.stringify(task)})));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (err, stdout) =>
      err ? reject(err) : resolve(JSON.parse(stdout)),
    );
  });
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  proxy = await countingProxy(server.url, { fault: (req) => fault?.(req) });
  slow = await countingProxy(server.url, { delayMs: 300 });
  env = { ...box.env, UFS_SERVER: proxy.url, UFS_API_KEY: server.apiKey! };
  // Takes connections, reads requests, never answers.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
}, 60_000);
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await proxy?.close();
  await slow?.close();
  await server?.stop();
  await box?.cleanup();
});

describe('ufs scan: a file that changes between its record and its upload fails alone, without hanging', () => {
  it('a file replaced by a FIFO fails as "not a regular file" (65), small or streamed; the others are uploaded', async () => {
    const root = await dir('fifo', { 'ok.txt': 'fine fifo\n', small: 'small victim\n', big: randomBytes(3_000_000) });
    fault = (req) => {
      if (req.url === '/put_files') {
        for (const name of ['small', 'big']) {
          rmSync(join(root, name));
          execFileSync('mkfifo', [join(root, name)]);
        }
      }
      return undefined;
    };
    const run = await scan('fifo', [], root).finally(() => (fault = undefined));
    expect(run.status).toBe(65);
    const out = run.json<ScanJson>();
    expect(out.error).toBeUndefined();
    expect(out.stats).toMatchObject({ files: 3, new: 3, uploaded: 1, failed: 2 });
    expect(out.failures.map((f) => [f.code, f.context.path]).sort()).toEqual([
      ['INVALID_INPUT', join(root, 'big')],
      ['INVALID_INPUT', join(root, 'small')],
    ]);
    for (const f of out.failures) expect(f.message).toMatch(/^\[ufs\] upload ".*": not a regular file \(a FIFO now/);
  });

  it('the hash worker refuses a FIFO, and a link put in place of a file unless links are followed, at once', async () => {
    const root = await dir('fifo-hash', { target: 'the target\n' });
    execFileSync('mkfifo', [join(root, 'pipe')]);
    symlinkSync(join(root, 'target'), join(root, 'link'));
    for (const task of [{ path: join(root, 'pipe') }, { paths: [join(root, 'pipe')] }]) {
      const answer = await hashInChild(task);
      expect(Array.isArray(answer) ? answer[0] : answer).toMatchObject({
        ok: false,
        code: 'INVALID_INPUT',
        message: expect.stringContaining('not a regular file (a FIFO now'),
      });
    }
    expect(await hashInChild({ path: join(root, 'link') })).toMatchObject({
      ok: false,
      message: expect.stringContaining('not a regular file (a symbolic link now'),
    });
    expect(await hashInChild({ path: join(root, 'link'), follow: true })).toMatchObject({ ok: true, size: 11 });
  });

  it('a file truncated during its resumable (tus) upload fails at once with INTEGRITY (65); before it, too', async () => {
    const during = await dir('tus-during', { 'ok.txt': 'fine tus\n', big: randomBytes(40_000_000) });
    let truncated = false;
    fault = (req) => {
      if (req.method === 'PATCH' && !truncated) {
        truncated = true;
        truncateSync(join(during, 'big'), 1_000_000);
      }
      return undefined;
    };
    const run = await scan('tus-during', ['--tus-threshold', '1MiB'], during).finally(() => (fault = undefined));
    expect(truncated).toBe(true);
    expect(run.status).toBe(65);
    const out = run.json<ScanJson>();
    expect(out.stats).toMatchObject({ files: 2, uploaded: 1, failed: 1 });
    expect(out.failures).toEqual([
      expect.objectContaining({
        code: 'INTEGRITY',
        message: expect.stringMatching(/".*\/big": the file changed while it was being scanned/),
      }),
    ]);
    // Truncated before its upload starts (as after a restart, when tus would resume): refused before a byte is sent.
    const before = await dir('tus-before', { big: randomBytes(5_000_000) });
    fault = (req) => {
      if (req.url === '/put_files') truncateSync(join(before, 'big'), 1_000_000);
      return undefined;
    };
    proxy.reset();
    const early = await scan('tus-before', ['--tus-threshold', '1MiB'], before).finally(() => (fault = undefined));
    expect(early.status).toBe(65);
    expect(early.json<ScanJson>().failures).toEqual([
      expect.objectContaining({
        code: 'INTEGRITY',
        message: expect.stringContaining('5000000 bytes when scanned, 1000000 now'),
      }),
    ]);
    expect(proxy.requests['PATCH /tus'] ?? 0).toBe(0);
  }, 120_000);

  it('a file deleted before its upload fails alone as a local file gone (66, no [server] tag); the scan goes on', async () => {
    const root = await dir('vanish', { 'ok.txt': 'fine vanish\n', small: 'small gone\n', big: randomBytes(3_000_000) });
    fault = (req) => {
      if (req.url === '/put_files') for (const name of ['small', 'big']) rmSync(join(root, name));
      return undefined;
    };
    const run = await scan('vanish', [], root).finally(() => (fault = undefined));
    expect(run.status).toBe(66);
    const out = run.json<ScanJson>();
    expect(out.error).toBeUndefined();
    expect(out.stats).toMatchObject({ files: 3, new: 3, uploaded: 1, failed: 2 });
    expect(out.failures.map((f) => [f.code, f.context.path]).sort()).toEqual([
      ['NOT_FOUND', join(root, 'big')],
      ['NOT_FOUND', join(root, 'small')],
    ]);
    for (const f of out.failures) {
      expect(f.message).toMatch(/^\[ufs\] upload ".*": no such file or directory/);
      expect(f.message).not.toContain('[server]');
    }
  });
});

describe('ufs scan: a server that never answers', () => {
  it('ends in TIMEOUT (75) naming the server after --timeout seconds, with the summary', async () => {
    const root = await dir('silent', { 'a.txt': 'a\n' });
    const started = Date.now();
    const run = await scan('silent', ['--timeout', '2'], root, { UFS_SERVER: silentUrl });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.status).toBe(75);
    const out = run.json<ScanJson>();
    expect(out.stats).toMatchObject({ files: 1, sent: 0 });
    expect(out.error).toMatchObject({ code: 'TIMEOUT', exitCode: 75 });
    expect(out.error!.message).toContain(silentUrl);
    expect(out.error!.message).toContain('no answer in 2 s');
  });

  it('Ctrl-C stops a scan waiting for it within a second or two, with the summary (130)', async () => {
    const root = await dir('silent-int', { 'a.txt': 'a\n', 'b.txt': 'b\n' });
    let signalledAt = 0;
    const run: Run = await ufs(['scan', '--hostname', 'silent-int', '--json', '--no-cache', root], {
      env: { ...env, UFS_SERVER: silentUrl },
      timeoutMs: 30_000,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (sockets.size > 0) {
            clearInterval(poll);
            setTimeout(() => {
              signalledAt = Date.now();
              child.kill('SIGINT');
            }, 300);
          }
        }, 20);
        child.once('exit', () => clearInterval(poll));
      },
    });
    const took = Date.now() - signalledAt;
    expect(signalledAt).toBeGreaterThan(0);
    expect(took).toBeLessThan(3000);
    expect(run.status).toBe(130);
    const out = run.json<ScanJson>();
    expect(out.error).toMatchObject({ code: 'ABORTED' });
    // The batch the stop cut short was not sent: not a failure of its files.
    expect(out.stats).toMatchObject({ files: 2, sent: 0, failed: 0 });
  });
});

describe('ufs scan stopped with uploads queued', () => {
  /** A scan through the slow server, one upload at a time, stopped by Ctrl-C once its second upload has begun. */
  const stoppedWithUploadsQueued = (hostname: string, root: string, flags: string[] = []): Promise<Run> =>
    ufs(['scan', '--hostname', hostname, ...flags, '--no-cache', '--uploads', '1', root], {
      env: { ...env, UFS_SERVER: slow.url },
      timeoutMs: 30_000,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if ((slow.requests['POST /upload_file'] ?? 0) >= 2) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 10);
        child.once('exit', () => clearInterval(poll));
      },
    });

  it('counts the records it left without content as "not uploaded", in --json and the summary', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 150; i++) files[`f${i}.txt`] = `queued ${i}\n`;
    const root = await dir('queued', files);
    slow.reset();
    const run = await stoppedWithUploadsQueued('queued', root, ['--json']);
    expect(run.status).toBe(130);
    const { stats } = run.json<ScanJson>();
    const {
      new: started,
      uploaded,
      failed,
      notUploaded,
    } = stats as unknown as Record<'new' | 'uploaded' | 'failed' | 'notUploaded', number>;
    // The upload the stop broke did not fail: its content, as that of the queued ones, is "not uploaded".
    expect(failed).toBe(0);
    expect(started).toBeGreaterThan(uploaded);
    expect(notUploaded).toBe(started - uploaded);
    const held = await records('queued');
    // The one upload under way (--uploads 1) may have reached the server before the stop cut its answer.
    const missing = held.filter((r) => !r.has_file_content).length;
    expect(missing).toBeLessThanOrEqual(notUploaded);
    expect(missing).toBeGreaterThanOrEqual(notUploaded - 1);
    // The summary says so too.
    slow.reset();
    const text = await stoppedWithUploadsQueued('queued2', root);
    expect(text.status).toBe(130);
    expect(text.stdout).toMatch(/^not uploaded: +\d+ \(records without content: scan again\)$/m);
  });
});
