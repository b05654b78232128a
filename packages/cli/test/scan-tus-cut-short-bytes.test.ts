// `ufs scan`'s uploadedBytes for a resumable (tus) upload that Ctrl-C or a failure cuts short: the part the server
// confirmed holding (the last PATCH's answered offset) counts as sent, as the server keeps it and the next run
// continues after it, so the two runs' bytes add up to the file's size. A real `ufs serve` behind a node:http front
// that passes the upload's first two PATCHes (of 100,000 bytes each) and then holds or refuses the next.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveBehindFront, type Front } from './helpers/front.js';
import { ufs } from './helpers/ufs.js';

/** What the front does with a PATCH past the first two: passes it, holds it unanswered, or answers 500. */
let mode: 'pass' | 'hold' | 'refuse' = 'pass';
let patches = 0;
let onHeld: (() => void) | undefined;
let front: Front;

beforeAll(async () => {
  front = await serveBehindFront((req, res) => {
    if (req.method === 'PATCH' && req.url?.startsWith('/tus/') && mode !== 'pass' && ++patches > 2) {
      req.resume();
      if (mode === 'hold') onHeld?.();
      else req.once('end', () => res.writeHead(500, { 'content-type': 'application/json' }).end('{"detail":"no"}'));
      return;
    }
    front.forward(req, res);
  });
}, 60_000);
afterAll(() => front?.close());

interface ScanJson {
  stats: Record<string, number>;
  error?: { code: string };
}

/** A 500,000-byte file in a folder of its own, and the scan's arguments (one PATCH per 100,000 bytes, a cache). */
async function setUp(name: string): Promise<{ args: string[] }> {
  const root = join(front.box.dir, name);
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'big.bin'), randomBytes(500_000));
  const args = ['scan', '--hostname', name, '--json', '--cache', join(front.box.dir, `${name}.sqlite`)];
  return { args: [...args, '--tus-threshold', '64KiB', '--tus-chunk-size', '100000', '--timeout', '30', root] };
}

/** The next run, with every request passed: it sends the rest, and says so. */
async function resumed(args: string[]): Promise<number> {
  mode = 'pass';
  const run = await ufs(args, { env: front.env(), timeoutMs: 60_000 });
  expect(run.status).toBe(0);
  const { stats } = run.json<ScanJson>();
  expect(stats).toMatchObject({ uploaded: 1, failed: 0 });
  return stats.uploadedBytes!;
}

describe('ufs scan: the bytes of a resumable upload cut short', () => {
  it('Ctrl-C during the third PATCH: the two answered ones count (200,000), the next run sends the rest', async () => {
    const { args } = await setUp('interrupted');
    mode = 'hold';
    patches = 0;
    const run = await ufs(args, {
      env: front.env(),
      timeoutMs: 60_000,
      onSpawn: (child) => (onHeld = () => child.kill('SIGINT')),
    });
    expect(run.status).toBe(130);
    const out = run.json<ScanJson>();
    expect(out.error?.code).toBe('ABORTED');
    expect(out.stats).toMatchObject({
      files: 1,
      new: 1,
      uploaded: 0,
      notUploaded: 1,
      failed: 0,
      uploadedBytes: 200_000,
    });
    expect(await resumed(args)).toBe(300_000);
  });

  it('a server that fails the third PATCH (500, after retries): the part it confirmed counts', async () => {
    const { args } = await setUp('refused');
    mode = 'refuse';
    patches = 0;
    const run = await ufs(args, { env: front.env(), timeoutMs: 60_000 });
    expect(run.status).not.toBe(0);
    const out = run.json<ScanJson>();
    expect(out.stats).toMatchObject({ files: 1, new: 1, uploaded: 0, uploadedBytes: 200_000 });
    expect(await resumed(args)).toBe(300_000);
  }, 60_000);
});
