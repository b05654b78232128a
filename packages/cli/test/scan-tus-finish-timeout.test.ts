import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { serveBehindFront, type Front } from './helpers/front.js';
import { ufs } from './helpers/ufs.js';

// The last PATCH of a resumable (tus) upload under `ufs scan --timeout`: once its last byte is sent, the server
// verifies and commits the upload before it answers, saying nothing meanwhile. The scan asks about the upload (HEAD)
// after half the limit of silence: a server that says it is finishing it (503 with Retry-After, as the ufs server
// answers while the PATCH holds the upload) is waited for, however long the finish; one that reports every byte held
// has finished it (the PATCH's answer is not needed); one that says neither, or nothing at all, stops the scan with
// TIMEOUT (75) about --timeout after the last byte. A real `ufs serve` behind a node:http server that speaks tus in
// its place for the last PATCH (and the HEADs), as each case needs; everything else is passed through.

type Mode =
  /** The last PATCH's body is read, never answered; HEADs go to the real server (which never got those bytes). */
  | 'silent'
  /** As 'silent', and HEADs are never answered either: a server gone quiet. */
  | 'dead'
  /** The last PATCH goes to the real server, whose answer is held back 3 s; meanwhile HEADs are answered 503. */
  | 'slow-finish'
  /** The last PATCH goes to the real server, whose answer never comes back; HEADs go to the real server. */
  | 'answer-lost';

let front: Front;
let mode: Mode = 'silent';
let seen: string[] = [];
const held: ServerResponse[] = [];

beforeAll(async () => {
  front = await serveBehindFront((req, res) => {
    const tus = req.url?.startsWith('/tus/') ? `${req.method} /tus/{id}` : undefined;
    if (tus) seen.push(tus);
    if (req.method === 'PATCH' && tus) {
      if (mode === 'silent' || mode === 'dead') {
        held.push(res);
        req.resume(); // read, never answered
      } else if (mode === 'slow-finish') front.forward(req, res, { answer: (_, send) => setTimeout(send, 3000) });
      else front.forward(req, res, { answer: () => held.push(res) });
      return;
    }
    if (req.method === 'HEAD' && tus) {
      if (mode === 'dead') {
        held.push(res);
        return;
      }
      if (mode === 'slow-finish') {
        res.writeHead(503, { 'retry-after': '1', 'tus-resumable': '1.0.0', 'content-type': 'application/json' });
        res.end();
        return;
      }
    }
    front.forward(req, res);
  });
}, 60_000);
afterAll(() => front?.close());

interface ScanJson {
  stats: Record<string, number>;
  error?: { code: string; message: string };
}

/** `ufs scan --timeout 2` of one new 256 KiB file, uploaded with tus through the front server in `how`. */
async function scanOne(how: Mode): Promise<{ run: Awaited<ReturnType<typeof ufs>>; ms: number; digest: string }> {
  mode = how;
  seen = [];
  const root = join(front.box.dir, how);
  await mkdir(root, { recursive: true });
  const bytes = randomBytes(256 * 1024);
  await writeFile(join(root, 'big.bin'), bytes);
  const started = Date.now();
  const run = await ufs(
    ['scan', '--hostname', how, '--json', '--no-cache', '--tus-threshold', '64KiB', '--timeout', '2', root],
    { env: front.env(), timeoutMs: 40_000 },
  );
  return { run, ms: Date.now() - started, digest: createHash('sha256').update(bytes).digest('hex') };
}

async function held_(digest: string): Promise<number> {
  const res = await fetch(`${front.server.url}/files/${digest}/content`, {
    headers: { 'x-api-key': front.server.apiKey! },
  });
  await res.arrayBuffer();
  return res.status;
}

describe('ufs scan --timeout and the last PATCH of a resumable upload', () => {
  it('a server that takes the last byte and never answers: TIMEOUT (75) about --timeout later', async () => {
    const { run, ms } = await scanOne('silent');
    expect(run.status).toBe(75);
    const out = run.json<ScanJson>();
    expect(out.error?.code).toBe('TIMEOUT');
    expect(out.error?.message).toMatch(
      /resumable upload ".*big\.bin": no answer for 2 s to PATCH http:\/\/127\.0\.0\.1/,
    );
    expect(out.stats).toMatchObject({ files: 1, new: 1, uploaded: 0 });
    // Asked once whether the upload is being finished (the server said offset 0: it is not), no retry of the PATCH.
    expect(seen).toEqual(['PATCH /tus/{id}', 'HEAD /tus/{id}']);
    expect(ms).toBeGreaterThanOrEqual(2000);
    expect(ms).toBeLessThan(8000);
  });

  it('a server gone quiet (PATCH and HEAD unanswered): TIMEOUT (75) about --timeout later', async () => {
    const { run, ms } = await scanOne('dead');
    expect(run.status).toBe(75);
    expect(run.json<ScanJson>().error?.message).toContain('no answer for 2 s to PATCH');
    expect(seen).toEqual(['PATCH /tus/{id}', 'HEAD /tus/{id}']);
    expect(ms).toBeGreaterThanOrEqual(2000);
    expect(ms).toBeLessThan(8000);
  });

  it('a finish longer than --timeout that the server says it is working on is waited for', async () => {
    const { run, ms, digest } = await scanOne('slow-finish');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 1, new: 1, uploaded: 1, failed: 0 });
    expect(ms).toBeGreaterThan(3000);
    expect(seen[0]).toBe('PATCH /tus/{id}');
    expect(seen.filter((s) => s === 'HEAD /tus/{id}').length).toBeGreaterThanOrEqual(2);
    expect(await held_(digest)).toBe(200);
  });

  it("a server that finished the upload but whose answer was lost: the HEAD's full offset ends it, done", async () => {
    const { run, ms, digest } = await scanOne('answer-lost');
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 1, new: 1, uploaded: 1, uploadedBytes: 256 * 1024 });
    expect(seen).toEqual(['PATCH /tus/{id}', 'HEAD /tus/{id}']);
    expect(ms).toBeLessThan(8000);
    expect(await held_(digest)).toBe(200);
  });
});
