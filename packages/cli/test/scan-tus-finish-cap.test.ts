// A server that answers a resumable upload's HEAD with 503 + Retry-After for ever ("still finishing it") after the
// last PATCH: `ufs scan --timeout T` waits at most ten times T after the last byte, then fails that upload alone with
// TIMEOUT (retryable), goes on with the other files, and exits with the failure's status (75). A real `ufs serve`
// behind a node:http front that, for the upload of stuck.bin only, reads the PATCH without answering and answers
// every HEAD 503 with Retry-After; everything else is passed through.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveBehindFront, type Front } from './helpers/front.js';
import { ufs } from './helpers/ufs.js';

let front: Front;
/** The path of the stuck upload (`/tus/{id}`), once created; and what was asked of it. */
let stuck: string | undefined;
const seen: string[] = [];

beforeAll(async () => {
  front = await serveBehindFront((req, res) => {
    const metadata = String(req.headers['upload-metadata'] ?? '');
    if (req.method === 'POST' && req.url === '/tus' && metadata.includes(btoa('stuck.bin'))) {
      front.forward(req, res, {
        answer: (answer, send) => {
          stuck = new URL(String(answer.headers.location), front.server.url).pathname;
          send();
        },
      });
      return;
    }
    if (stuck && req.url === stuck) {
      seen.push(req.method!);
      if (req.method === 'PATCH') {
        req.resume(); // read, never answered
        return;
      }
      if (req.method === 'HEAD') {
        res.writeHead(503, { 'retry-after': '1', 'tus-resumable': '1.0.0' }).end();
        return;
      }
    }
    front.forward(req, res);
  });
}, 60_000);
afterAll(() => front?.close());

interface ScanJson {
  stats: Record<string, number>;
  error?: unknown;
  failures: Array<{ code: string; message: string; retryable: boolean }>;
}

describe('ufs scan and a server that is "finishing" an upload for ever', () => {
  it('--timeout 1: that upload fails after 10 s, retryable; the other files are uploaded; exit 75', async () => {
    const root = join(front.box.dir, 'tree');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'stuck.bin'), randomBytes(200_000));
    await writeFile(join(root, 'other.bin'), randomBytes(200_000));
    await writeFile(join(root, 'small.txt'), 'small\n');
    const started = Date.now();
    const run = await ufs(
      ['scan', '--hostname', 'cap', '--json', '--no-cache', '--tus-threshold', '64KiB', '--timeout', '1', root],
      { env: front.env(), timeoutMs: 60_000 },
    );
    const seconds = (Date.now() - started) / 1000;
    expect(run.status).toBe(75);
    const out = run.json<ScanJson>();
    // Not an error that stops the scan: the summary has no `error`, the failure is listed.
    expect(out.error).toBeUndefined();
    expect(out.stats).toMatchObject({ files: 3, new: 3, uploaded: 2, failed: 1 });
    expect(out.failures).toHaveLength(1);
    expect(out.failures[0]).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(out.failures[0]!.message).toMatch(
      /^\[ufs\] \[server\] resumable upload ".*stuck\.bin": the server still said it was finishing the upload \(503 with Retry-After\) 10 s after its last byte, the longest a scan waits \(10 times --timeout\); scan again later$/,
    );
    expect(run.stderr).toContain('the server still said it was finishing the upload');
    expect(seen[0]).toBe('PATCH');
    expect(seen.filter((m) => m === 'HEAD').length).toBeGreaterThanOrEqual(10);
    expect(seconds).toBeGreaterThanOrEqual(10);
    expect(seconds).toBeLessThan(25);
  });
});
