import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFile } from 'node:fs/promises';
import { ufsFailure } from '@org/core/testing';
import { uploadFile, type UploadEvent, type UploadFileOptions } from '../src/index.js';
import { startUfsServer, type UfsServer } from './fakes/ufs-server.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// The ufs provider against a REAL dedup server (in process), through a small proxy of this test that can force the
// server's gc (grace 0) just before a `share` is forwarded, and corrupt the content it serves:
// - content collected between its upload and its share (no record refers to it yet) is uploaded again, once;
// - a failed verification keeps the record the upload put (it describes the file truly, and replaced the path's
//   earlier one): the path is never left with no record.
let server: UfsServer;
let proxy: Server;
let proxyUrl: string;
let dir: string;
let cleanup: () => Promise<void>;

/** How many of the next shares get a gc of the server (grace 0) just before they are forwarded. */
let gcBeforeShares = 0;
/** The sha256s the forced gcs removed. */
let collected: string[] = [];
/** Whether content downloads (GET) are served with their first byte changed. */
let corrupting = false;
/** Requests seen: `METHOD /path` (without the query). */
let seen: string[] = [];

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { 'x-api-key': server.apiKey, ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function gc(): Promise<string[]> {
  await sleep(20); // the content's upload time strictly before the cutoff
  const run = await api('/admin/gc', { method: 'POST', body: JSON.stringify({ grace_seconds: 0 }) });
  expect(run.status).toBeLessThan(300);
  return run.body.deleted as string[];
}

type Item = { _id: string; filepath: string; sha256: string; has_file_content: boolean };

async function records(filepath: string): Promise<Item[]> {
  const query = new URLSearchParams({ hostname: 'gc-host', path_prefix: filepath });
  return ((await api(`/files?${query}`)).body.items as Item[]).filter((r) => r.filepath === filepath);
}

/** Changes the first byte of a body. */
function flipFirstByte(): Transform {
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (first && chunk.length > 0) {
        chunk = Buffer.from(chunk);
        chunk[0] = chunk[0]! ^ 0xff;
        first = false;
      }
      done(null, chunk);
    },
  });
}

beforeAll(async () => {
  server = await startUfsServer();
  const upstream = new URL(server.url);
  proxy = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    seen.push(`${req.method} ${path}`);
    const forward = async () => {
      if (req.method === 'POST' && /^\/files\/[0-9a-f]{64}\/share$/.test(path) && gcBeforeShares > 0) {
        gcBeforeShares--;
        collected.push(...(await gc()));
      }
      const out = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          const corrupt = req.method === 'GET' && corrupting && answer.statusCode === 200;
          pipeline(corrupt ? answer.pipe(flipFirstByte()) : answer, res).catch(() => undefined);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    };
    forward().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  ({ dir, cleanup } = await tempDir('ufs-gc-verify-'));
});
afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await server?.close();
  await cleanup?.();
});
beforeEach(() => {
  gcBeforeShares = 0;
  collected = [];
  corrupting = false;
  seen = [];
});

const opts = (extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['ufs'],
  env: { UFS_SERVER: proxyUrl, UFS_API_KEY: server.apiKey },
  retry: FAST_RETRY,
  maxAttempts: 1,
  providerOptions: { ufs: { hostname: 'gc-host' } },
  signal: AbortSignal.timeout(60_000),
  ...extra,
});
const count = (what: RegExp) => seen.filter((s) => what.test(s)).length;
const PUT_CONTENT = /^PUT \/files\/[0-9a-f]{64}\/content$/;
const SHARE = /^POST \/files\/[0-9a-f]{64}\/share$/;

describe('ufs provider: a gc between the content upload and its share', () => {
  it('the content is uploaded again, once, and shared: the upload succeeds, verified, with its record', async () => {
    const file = await randomFile(dir, 'collected.bin', 30_000);
    const result = await uploadFile(file.path, opts());
    expect(result.verified).toBe(true);
    expect(count(PUT_CONTENT)).toBe(1);

    // Another file: the gc removes its content right after it is uploaded, before its share.
    const again = await randomFile(dir, 'collected-2.bin', 30_001);
    seen = [];
    gcBeforeShares = 1;
    const second = await uploadFile(again.path, opts());
    expect(collected).toContain(again.sha256); // the gc did remove the content before the share
    expect(count(PUT_CONTENT)).toBe(2); // its upload, and the one after the share said it was gone
    expect(count(SHARE)).toBe(2); // the one that found it gone, and the one after
    expect(second.verified).toBe(true);
    expect(second.report).toEqual([expect.objectContaining({ provider: 'ufs', outcome: 'success', attempts: 1 })]);
    const served = await download(second.url);
    expect(served.bytes.equals(again.bytes)).toBe(true);
    expect((await records(again.path)).map((r) => [r.sha256, r.has_file_content])).toEqual([[again.sha256, true]]);
  });

  it('content the server held (dedup, not sent) and collected before the share is uploaded too', async () => {
    const file = await randomFile(dir, 'held.bin', 20_000);
    const first = await uploadFile(file.path, opts());
    // Its record deleted: the content is unreferenced, still held (HEAD says so), until a gc.
    expect((await api(`/files/${first.deleteToken}`, { method: 'DELETE' })).status).toBeLessThan(300);
    seen = [];
    gcBeforeShares = 1;
    const result = await uploadFile(file.path, opts());
    expect(collected).toContain(file.sha256);
    expect(count(PUT_CONTENT)).toBe(1); // not sent at first (held), sent once it was gone
    expect(result.verified).toBe(true);
    expect((await records(file.path)).map((r) => [r.sha256, r.has_file_content])).toEqual([[file.sha256, true]]);
  });

  it('removed again before the second share: one clear failure, and the catalogue as it was', async () => {
    const file = await randomFile(dir, 'twice.bin', 10_000);
    gcBeforeShares = 2;
    const error = await ufsFailure(uploadFile(file.path, opts()));
    expect(count(PUT_CONTENT)).toBe(2); // once more only
    expect(error.message).toMatch(/the content was removed twice between its upload and its share/);
    expect(error.code).toBe('UNAVAILABLE');
    expect(await records(file.path)).toEqual([]);
  });
});

describe('ufs provider: a failed verification', () => {
  it('keeps the record the upload put (it describes the file), reports it kept and its id: never no record', async () => {
    const file = await randomFile(dir, 'verify.bin', 8_000);
    const v1 = await uploadFile(file.path, opts());
    expect((await records(file.path)).map((r) => r.sha256)).toEqual([v1.sha256]);

    await writeFile(file.path, Buffer.alloc(9_000, 3)); // v2
    corrupting = true;
    const events: UploadEvent[] = [];
    const error = await ufsFailure(uploadFile(file.path, opts({ onEvent: (e) => events.push(e) })));
    expect(error.code).toBe('INTEGRITY');
    const [entry] = error.context.failures as Array<Record<string, unknown>>;
    expect(entry).toMatchObject({ provider: 'ufs', code: 'INTEGRITY', deleted: false });
    expect(entry!.kept).toMatch(/record of the file is kept: it describes the file truly/);
    expect(entry!.deleteError).toBeUndefined();
    expect(events.find((e) => e.type === 'failure')).toMatchObject({ copy: { deleted: false } });

    // The catalogue: v2's record (the file as it is now), with its content; not the path without any record.
    const now = await records(file.path);
    expect(now.map((r) => [r.sha256, r.has_file_content])).toEqual([[expect.not.stringMatching(v1.sha256), true]]);
    expect(now[0]!._id).toBe(entry!.deleteToken);
    expect(count(/^DELETE /)).toBe(0);
    // Its signed link serves the right bytes once nothing corrupts them.
    corrupting = false;
    const served = await download(entry!.url as string);
    expect(served.bytes.equals(Buffer.alloc(9_000, 3))).toBe(true);
  });
});
