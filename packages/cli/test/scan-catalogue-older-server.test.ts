import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveBehindFront, type Front } from './helpers/front.js';
import { ufs } from './helpers/ufs.js';

// A ufs server from before catalogue revisions knows `GET /catalogue` (the epoch) but refuses any query parameter:
// `GET /catalogue?hostname=…` answers 400 `invalid query: unknown query parameter "hostname"`. `ufs scan` asks again
// without it and trusts that server by its epoch alone (no revision), as before revisions: it scans, and a rescan
// sends nothing. A real `ufs serve` behind a node:http front that answers that 400 as the old server did.

interface ScanJson {
  stats: Record<string, number>;
}

let front: Front;
let tree: string;
/** Requests the front got, as `METHOD /path?query`. */
let seen: string[] = [];

beforeAll(async () => {
  front = await serveBehindFront((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname === '/catalogue' && url.searchParams.has('hostname')) {
      req.resume();
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: 'invalid query: unknown query parameter "hostname"', code: 'INVALID_INPUT' }));
      return;
    }
    front.forward(req, res);
  });
  tree = join(front.box.dir, 'tree');
  await mkdir(tree, { recursive: true });
  for (let i = 0; i < 3; i++) await writeFile(join(tree, `f${i}`), `older server ${i}\n`);
}, 60_000);
afterAll(async () => {
  await front?.close();
});

const scan = (args: readonly string[] = []) => {
  seen = [];
  return ufs(['scan', '--hostname', 'old-host', '--json', ...args, tree], { env: front.env(), timeoutMs: 90_000 });
};

describe('ufs scan against a ufs server without catalogue revisions (400 to ?hostname)', () => {
  it('asks for the epoch alone, scans, and a rescan sends nothing (trusted by its epoch)', async () => {
    const first = await scan(['--verbose']);
    expect(first.status).toBe(0);
    expect(first.json<ScanJson>().stats).toMatchObject({ files: 3, sent: 3, uploaded: 3, failed: 0 });
    expect(seen.slice(0, 2)).toEqual(['GET /catalogue?hostname=old-host', 'GET /catalogue']);
    // The epoch alone, no revision: the memory is kept under it.
    expect(first.stderr).toMatch(/catalogue epoch \S+$/m);

    const warm = await scan();
    expect(warm.status).toBe(0);
    expect(warm.json<ScanJson>().stats).toMatchObject({ unchanged: 3, sent: 0, failed: 0 });
    expect(seen).toEqual(['GET /catalogue?hostname=old-host', 'GET /catalogue']);
  }, 120_000);

  it('another 400 to GET /catalogue still fails the scan (not taken for an older server)', async () => {
    const refusing = await serveBehindFront((req, res) => {
      if ((req.url ?? '').startsWith('/catalogue')) {
        req.resume();
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: 'invalid query: hostname: too long' }));
        return;
      }
      refusing.forward(req, res);
    });
    try {
      const run = await ufs(['scan', '--hostname', 'old-host', tree], { env: refusing.env(), timeoutMs: 90_000 });
      expect(run.status).toBe(64);
      expect(run.stderr).toContain('GET /catalogue');
      expect(run.stderr).toContain('HTTP 400: invalid query: hostname: too long');
    } finally {
      await refusing.close();
    }
  }, 120_000);
});
