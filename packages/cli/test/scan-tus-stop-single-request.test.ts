// `ufs scan` cut short during a resumable upload sent as ONE request (the default: no --tus-chunk-size). Such a
// request confirms nothing before its end, so a Ctrl-C mid-body counted `uploadedBytes: 0` while the server kept what
// had arrived, and the run that resumed it sent only the rest: the two runs did not add up to the file's size. Within
// the stop grace the server is now asked (tus HEAD) what it holds, and that counts. Likewise an upload that fails at
// its finishing step (the server says "finishing" for longer than the scan waits): the server holds every byte.
// A real `ufs serve` behind a node:http front that takes PATCH bodies at once but passes them on slowly (so Ctrl-C
// lands mid-body at the server), or passes the PATCH on but holds its answer and answers every HEAD 503 with
// Retry-After.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveBehindFront, type Front } from './helpers/front.js';
import { ufs } from './helpers/ufs.js';

const SIZE = 4 * 1024 * 1024;
/** pass: forwarded as it comes; slow: PATCH bodies at ~1 MiB/s; finishing: the PATCH passed, its answer held. */
let mode: 'pass' | 'slow' | 'finishing' = 'pass';
/** Bytes of PATCH bodies passed on to the server (slow mode), and who is told once 1 MiB is. */
let passed = 0;
let onMiB: (() => void) | undefined;
let front: Front;

/** Read as it comes (so the client's going is seen at once), passed on slowly: the front holds the rest. */
function slowly(req: IncomingMessage, out: ClientRequest): void {
  const queue: Buffer[] = [];
  let ended = false;
  req.on('data', (chunk: Buffer) => queue.push(chunk));
  req.once('end', () => (ended = true));
  void (async () => {
    while (!out.destroyed) {
      const chunk = queue.shift();
      if (!chunk) {
        if (ended) return void out.end();
        await sleep(5);
        continue;
      }
      for (let at = 0; at < chunk.length && !out.destroyed; at += 16 * 1024) {
        const part = chunk.subarray(at, at + 16 * 1024);
        out.write(part);
        passed += part.length;
        if (passed >= 1024 * 1024) onMiB?.();
        await sleep(15);
      }
    }
  })();
}

function forward(req: IncomingMessage, res: ServerResponse, hold = false): void {
  front.forward(req, res, {
    answer: hold ? (answer) => void answer.resume() : undefined,
    body: mode === 'slow' && req.method === 'PATCH' ? slowly : undefined,
    // The client gone before its answer (its body may sit in buffers here): so is the request to the server, which
    // keeps what arrived.
    cancelWithClient: true,
  });
}

beforeAll(async () => {
  front = await serveBehindFront((req, res) => {
    if (mode === 'finishing' && req.url?.startsWith('/tus/')) {
      if (req.method === 'HEAD') return void res.writeHead(503, { 'retry-after': '1', 'tus-resumable': '1.0.0' }).end();
      if (req.method === 'PATCH') return forward(req, res, true);
    }
    forward(req, res);
  });
}, 60_000);
afterAll(() => front?.close());

interface ScanJson {
  stats: Record<string, number>;
  error?: { code: string };
}

/** A SIZE-byte file in a folder of its own, and the scan's arguments (tus, one request: no --tus-chunk-size). */
async function setUp(name: string, timeout = '30'): Promise<string[]> {
  const root = join(front.box.dir, name);
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'big.bin'), randomBytes(SIZE));
  const cache = join(front.box.dir, `${name}.sqlite`);
  return [
    'scan',
    '--hostname',
    name,
    '--json',
    '--cache',
    cache,
    '--tus-threshold',
    '64KiB',
    '--timeout',
    timeout,
    root,
  ];
}

/** The next run, every request passed: it completes the upload (or finds it done), and says what it sent. */
async function resumed(args: string[]): Promise<number> {
  mode = 'pass';
  const run = await ufs(args, { env: front.env(), timeoutMs: 60_000 });
  expect(run.status).toBe(0);
  const { stats } = run.json<ScanJson>();
  expect(stats).toMatchObject({ failed: 0 });
  expect(stats.uploaded! + stats.deduplicated!).toBe(1);
  return stats.uploadedBytes!;
}

describe('ufs scan: a resumable upload in one request, cut short', () => {
  it('Ctrl-C mid-body: what the server holds counts, and the resumed run adds up to the file size', async () => {
    const args = await setUp('one-request');
    mode = 'slow';
    passed = 0;
    const run = await ufs(args, {
      env: front.env(),
      timeoutMs: 60_000,
      onSpawn: (child) => (onMiB = () => ((onMiB = undefined), child.kill('SIGINT'))),
    });
    expect(run.status).toBe(130);
    const out = run.json<ScanJson>();
    expect(out.error?.code).toBe('ABORTED');
    expect(out.stats).toMatchObject({ files: 1, uploaded: 0, notUploaded: 1, failed: 0 });
    const first = out.stats.uploadedBytes!;
    expect(first).toBeGreaterThanOrEqual(1024 * 1024);
    expect(first).toBeLessThan(SIZE);
    expect(first + (await resumed(args))).toBe(SIZE);
  }, 90_000);

  it('the server "finishing" it for longer than the scan waits: every byte counts (the server holds them)', async () => {
    const args = await setUp('finishing', '1');
    mode = 'finishing';
    const run = await ufs(args, { env: front.env(), timeoutMs: 60_000 });
    expect(run.status).toBe(75);
    const out = run.json<ScanJson>();
    expect(out.stats).toMatchObject({ files: 1, uploaded: 0, failed: 1, uploadedBytes: SIZE });
    expect(out.stats.uploadedBytes! + (await resumed(args))).toBe(SIZE);
  }, 90_000);
});
