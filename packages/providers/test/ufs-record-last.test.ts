import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { ufsFailure } from '@org/core/testing';
import { registerSpool, uploadFile, type UploadFileOptions } from '../src/index.js';
import { startUfsServer, type UfsServer } from './fakes/ufs-server.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// The ufs provider against a REAL dedup server (in process): the record of a path is put only once the content is
// held and shared, so a failed upload leaves the catalogue as it was (an earlier URL of the path survives a gc); and
// a spooled copy (stdin, a /proc file) is recorded under its input's name or path, with its input's mode and times.
let server: UfsServer;
let dir: string;
let cleanup: () => Promise<void>;

const opts = (extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['ufs'],
  env: { UFS_SERVER: server.url, UFS_API_KEY: server.apiKey },
  retry: FAST_RETRY,
  providerOptions: { ufs: { hostname: 'rec-host' } },
  ...extra,
});

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { 'x-api-key': server.apiKey, 'content-type': 'application/json' },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

type Item = { filepath: string; sha256: string; has_file_content: boolean; file_mode: number; file_mtime: number };

/** The records of the host `rec-host` whose path starts with `prefix`. */
async function records(prefix: string): Promise<Item[]> {
  const query = new URLSearchParams({ hostname: 'rec-host', path_prefix: prefix });
  return (await api(`/files?${query}`)).body.items as Item[];
}

beforeAll(async () => {
  server = await startUfsServer({ maxUploadBytes: 10_000 });
  ({ dir, cleanup } = await tempDir('ufs-record-last-'));
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe('ufs provider: the record comes last', () => {
  it('an upload refused by the server (413) leaves the path’s record, and its earlier URL works after a gc', async () => {
    const v1 = await randomFile(dir, 'report.txt', 5000);
    const first = await uploadFile(v1.path, opts());
    expect((await records(v1.path)).map((r) => [r.sha256, r.has_file_content])).toEqual([[v1.sha256, true]]);

    await writeFile(v1.path, Buffer.alloc(20_000, 7)); // v2, over the server's limit
    const error = await ufsFailure(uploadFile(v1.path, opts()));
    expect(error.code).toBe('TOO_LARGE');
    // the catalogue is as it was: v1's record, with its content
    expect((await records(v1.path)).map((r) => [r.sha256, r.has_file_content])).toEqual([[v1.sha256, true]]);

    const gc = await api('/admin/gc', { method: 'POST', body: JSON.stringify({ grace_seconds: 0 }) });
    expect(gc.status).toBeLessThan(300);
    expect(gc.body.deleted).not.toContain(v1.sha256);
    const served = await download(first.url);
    expect(served.status).toBe(200);
    expect(served.bytes.equals(v1.bytes)).toBe(true);
  });
});

describe('ufs provider: spooled copies are recorded as their input', () => {
  it('a copy of stdin is recorded under the name "stdin", with default mode and times, never the copy’s path', async () => {
    const spool = await randomFile(dir, 'stdin', 300);
    const forget = registerSpool(spool.path, { filepath: 'stdin' });
    try {
      const before = Date.now() / 1000;
      const result = await uploadFile(spool.path, opts());
      const record = (await api(`/files/${encodeURIComponent(result.deleteToken!)}`)).body;
      expect(record).toMatchObject({ filepath: 'stdin', sha256: spool.sha256, file_mode: 0o100644 });
      expect(record.file_mtime as number).toBeGreaterThanOrEqual(before - 1);
      expect(await records(spool.path)).toEqual([]); // nothing under the copy's path
    } finally {
      forget();
    }
  });

  it('a copy of a /proc file is recorded under its path, with its mode and times', async () => {
    const spool = await randomFile(dir, 'status', 400);
    const stat = {
      mode: 0o100444,
      uid: 0,
      gid: 0,
      mtimeMs: 1_700_000_000_500,
      atimeMs: 1_700_000_001_000,
      ctimeMs: 1_700_000_000_500,
    };
    const forget = registerSpool(spool.path, { filepath: '/proc/self/status', stat });
    try {
      const result = await uploadFile(spool.path, opts());
      const record = (await api(`/files/${encodeURIComponent(result.deleteToken!)}`)).body;
      expect(record).toMatchObject({
        filepath: '/proc/self/status',
        file_mode: 0o100444,
        file_mtime: 1_700_000_000.5,
        file_atime: 1_700_000_001,
      });
    } finally {
      forget();
    }
    // forgotten: the same file is then recorded as itself
    const again = await uploadFile(spool.path, opts());
    expect((await api(`/files/${encodeURIComponent(again.deleteToken!)}`)).body).toMatchObject({
      filepath: spool.path,
    });
  });
});
