import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { copyFile, open } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ufsFailure } from '@org/core/testing';
import {
  fileSource,
  loadProvider,
  providerStatus,
  uploadFile,
  verifyDownload,
  type UploadFileOptions,
} from '../src/index.js';
import { UfsProxy, startUfsServer, type UfsServer } from './fakes/ufs-server.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// The ufs provider against a REAL dedup server (@org/server in process: embedded SQLite store, local content
// folder, a bootstrap API key), through a counting/fault proxy: dedup, the records it writes, the signed content URL
// (no key needed) and its expiry, errors from the server, delete, streaming.
let server: UfsServer;
let proxy: UfsProxy;
let dir: string;
let cleanup: () => Promise<void>;
const MiB = 1024 ** 2;

const env = () => ({ UFS_SERVER: proxy.url, UFS_API_KEY: server.apiKey });
const opts = (ufs: Record<string, unknown> = {}, extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['ufs'],
  env: env(),
  retry: FAST_RETRY,
  providerOptions: { ufs: { hostname: 'test-host', ...ufs } },
  ...extra,
});
/** Content sent: `PUT /files/{sha256}/content` (before the record, which `put_file` sends last). */
const uploads = () => proxy.count('PUT', /^\/files\/[0-9a-f]{64}\/content$/);
const puts = () => proxy.count('POST', /^\/put_file$/);

/** GET on the server with the key, as JSON. */
async function api(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, { headers: { 'x-api-key': server.apiKey } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  server = await startUfsServer();
  proxy = await new UfsProxy(server.url).start();
  ({ dir, cleanup } = await tempDir('ufs-provider-'));
});
afterAll(async () => {
  await proxy?.stop();
  await server?.close();
  await cleanup?.();
});
beforeEach(() => proxy.reset());

describe('ufs provider (real dedup server)', () => {
  it('dedup: the same bytes again (another path) are recorded but not uploaded again', async () => {
    const file = await randomFile(dir, 'dup-a.bin', 40_000);
    const first = await uploadFile(file.path, opts());
    expect(first.verified).toBe(true);
    expect([puts(), uploads()]).toEqual([1, 1]);

    const copy = join(dir, 'dup-b.bin');
    await copyFile(file.path, copy);
    const progress: number[] = [];
    const second = await uploadFile(
      copy,
      opts({}, { onProgress: (e) => e.phase === 'upload' && progress.push(e.loaded) }),
    );
    expect([puts(), uploads()]).toEqual([2, 1]); // the server held the content: not sent again
    expect(new URL(second.url).pathname).toBe(new URL(first.url).pathname); // one content, two signed links
    expect(second.verified).toBe(true);
    expect(progress.at(-1)).toBe(40_000);
    expect(second.deleteToken).not.toBe(first.deleteToken); // two records, one content

    const records = await api(`/files?sha256=${first.sha256}`);
    const items = records.body.items as Array<{ filepath: string; has_file_content: boolean }>;
    expect(items.every((f) => f.has_file_content)).toBe(true);
    const paths = items.map((f) => f.filepath);
    expect(paths.sort()).toEqual([file.path, copy].sort());
  });

  it('the record carries the hostname (option, default os.hostname()) and the absolute path (or the filepath option)', async () => {
    const file = await randomFile(dir, 'where.txt', 100);
    const result = await uploadFile(file.path, opts({ hostname: undefined }));
    const record = await api(`/files/${encodeURIComponent(result.deleteToken!)}`);
    expect(record.body).toMatchObject({
      hostname: hostname(),
      filepath: file.path,
      file_size: 100,
      sha256: result.sha256,
    });

    const named = await uploadFile(file.path, opts({ hostname: 'build-7', filepath: '/artifacts/where.txt' }));
    expect((await api(`/files/${encodeURIComponent(named.deleteToken!)}`)).body).toMatchObject({
      hostname: 'build-7',
      filepath: '/artifacts/where.txt',
    });
  });

  it('the URL is a signed /files/{sha256}/content link: a plain GET (no headers) gets the bytes; verification needs no key', async () => {
    const file = await randomFile(dir, 'signed.bin', 5000);
    const before = Date.now();
    const result = await uploadFile(file.path, opts());
    expect(result.verified).toBe(true);
    expect(proxy.count('POST', /^\/files\/[0-9a-f]{64}\/share$/)).toBe(1);
    const url = new URL(result.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${proxy.url}/files/${result.sha256}/content`);
    expect(url.searchParams.get('signature')).toMatch(/^[0-9a-f]{64}$/);
    // the server's default lifetime: 7 days
    const week = 7 * 86_400_000;
    expect(result.expiresAt!.getTime()).toBe(Number(url.searchParams.get('expires')) * 1000);
    expect(result.expiresAt!.getTime() - before).toBeGreaterThan(week - 2000);
    expect(result.expiresAt!.getTime() - before).toBeLessThan(week + 2000);

    const served = await download(result.url);
    expect(served.status).toBe(200);
    expect(served.bytes.equals(file.bytes)).toBe(true);
    const provider = await loadProvider('ufs');
    expect(provider.verifyHeaders).toBeUndefined();
    expect(provider.info.capabilities.expiry).toBe(true);
    await expect(
      verifyDownload(result.url, { provider: 'ufs', sha256: file.sha256, size: 5000 }),
    ).resolves.toBeUndefined();
    // the bare content route still needs the key
    expect((await download(`${proxy.url}/files/${result.sha256}/content`)).status).toBe(401);
  });

  it('expire sets the signed link’s lifetime (expires_in) and expiresAt; past 30 days is INVALID_INPUT before sending', async () => {
    const file = await randomFile(dir, 'expiring.bin', 1000);
    const before = Date.now();
    const result = await uploadFile(file.path, opts({}, { expire: '1h' }));
    expect(result.verified).toBe(true);
    expect(result.expiresAt!.getTime() - before).toBeGreaterThan(3_600_000 - 2000);
    expect(result.expiresAt!.getTime() - before).toBeLessThan(3_600_000 + 2000);
    expect(Number(new URL(result.url).searchParams.get('expires')) * 1000).toBe(result.expiresAt!.getTime());
    expect((await download(result.url)).status).toBe(200);

    proxy.reset();
    const error = await ufsFailure(uploadFile(file.path, opts({}, { expire: '31d' })));
    expect(error.message).toMatch(/longer than the 30 days/);
    expect(error.context.failures).toEqual([expect.objectContaining({ provider: 'ufs', code: 'INVALID_INPUT' })]);
    expect(puts()).toBe(0);
  });

  it('a wrong API key is PERMISSION_DENIED, not retried, and says which variable to check', async () => {
    const file = await randomFile(dir, 'denied.bin');
    const error = await ufsFailure(uploadFile(file.path, opts({}, { env: { ...env(), UFS_API_KEY: 'f'.repeat(64) } })));
    expect(error.code).toBe('PERMISSION_DENIED');
    expect(error.message).toMatch(
      /\[ufs\] \[ufs\] upload \(content check\) "denied.bin": HTTP 401: the API key was refused \(check UFS_API_KEY\)/,
    );
    expect(puts()).toBe(0); // refused at the first request: nothing recorded
  });

  it('a retryable failure of the content upload repeats the whole attempt, then succeeds; the record is put once', async () => {
    const file = await randomFile(dir, 'retry-upload.bin', 20_000);
    proxy.faultPath = /^\/files\/[0-9a-f]{64}\/content$/;
    proxy.fail(503);
    const result = await uploadFile(file.path, opts());
    expect(result.report.at(-1)).toMatchObject({ outcome: 'success', attempts: 2 });
    expect([puts(), uploads()]).toEqual([1, 2]);
    expect(result.verified).toBe(true);
  });

  it('the server’s size limit (413) is TOO_LARGE and not retried', async () => {
    const small = await startUfsServer({ maxUploadBytes: 1000 });
    try {
      const file = await randomFile(dir, 'too-big.bin', 5000);
      const error = await ufsFailure(
        uploadFile(file.path, { ...opts(), env: { UFS_SERVER: small.url, UFS_API_KEY: small.apiKey } }),
      );
      expect(error.code).toBe('TOO_LARGE');
      expect(error.context.failures).toEqual([expect.objectContaining({ provider: 'ufs', attempts: 1 })]);
      expect(error.message).toMatch(/upload \(content\)/);
    } finally {
      await small.close();
    }
  });

  it('delete removes the record; deleting it again is NOT_FOUND', async () => {
    const file = await randomFile(dir, 'remove.bin');
    const result = await uploadFile(file.path, opts());
    const provider = await loadProvider('ufs');
    await provider.delete!(result, { env: env() });
    expect((await api(`/files/${encodeURIComponent(result.deleteToken!)}`)).status).toBe(404);
    expect((await ufsFailure(provider.delete!(result, { env: env() }))).code).toBe('NOT_FOUND');
  });

  it('works on a source without a local path (hashes the stream) and names the record after the file', async () => {
    const file = await randomFile(dir, 'pathless.bin', 3000);
    const { path: _path, ...source } = await fileSource(file.path);
    const result = await (await loadProvider('ufs')).upload(source, { env: env(), hostname: 'stream-host' });
    const record = await api(`/files/${encodeURIComponent(result.deleteToken!)}`);
    expect(record.body).toMatchObject({ filepath: 'pathless.bin', hostname: 'stream-host', sha256: file.sha256 });
  });

  it('hashes once per upload: a retry of the same source does not read it again for its hash', async () => {
    const file = await randomFile(dir, 'once.bin', 3000);
    const { path: _path, ...plain } = await fileSource(file.path);
    let opens = 0;
    const source = { ...plain, open: () => (opens++, plain.open()) };
    const provider = await loadProvider('ufs');
    proxy.fail(503);
    expect((await ufsFailure(provider.upload(source, { env: env() }))).code).toBe('UNAVAILABLE');
    expect(opens).toBe(2); // hashed, the content sent, then put_file failed
    await provider.upload(source, { env: env() });
    expect(opens).toBe(2); // the retry finds the content held: not read again, for its hash nor to send it
    expect([puts(), uploads()]).toEqual([2, 1]);
  });

  it('verification sends the key but follows no redirect, so the key never reaches another host', async () => {
    const elsewhere: string[] = [];
    const other = createServer((req, res) => (elsewhere.push(String(req.headers['x-api-key'])), res.end('x')));
    const redirecting = createServer((req, res) => res.writeHead(302, { location: otherUrl }).end());
    await Promise.all([other, redirecting].map((srv) => new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok))));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/content`;
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/files/x/content`;
      const headers = { 'x-api-key': server.apiKey };
      const error = await ufsFailure(
        verifyDownload(url, { provider: 'ufs', sha256: 'a'.repeat(64), size: 1, headers }),
      );
      expect(error.message).toMatch(/HTTP 302/);
      expect(elsewhere).toEqual([]);
      await ufsFailure(verifyDownload(url, { provider: 'ufs', sha256: 'a'.repeat(64), size: 1 }));
      expect(elsewhere).toEqual(['undefined']); // without headers the redirect is followed, as for every provider
    } finally {
      for (const srv of [other, redirecting]) {
        srv.closeAllConnections();
        srv.close();
      }
    }
  });

  it('README example', async () => {
    const saved = { ...process.env };
    const cwd = process.cwd();
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    Object.assign(process.env, env());
    const file = await randomFile(dir, 'build.tar.gz', 4000);
    process.chdir(dir);
    try {
      // --- README ---
      // UFS_SERVER=http://ufs.internal:8000 UFS_API_KEY=<key>
      const result = await uploadFile('build.tar.gz', { providers: ['ufs'] });
      console.log(result.url); // http://ufs.internal:8000/files/<sha256>/content?expires=…&kid=…&signature=…
      // --- end ---
      expect(log).toHaveBeenCalledWith(
        expect.stringMatching(
          new RegExp(`^${proxy.url}/files/${file.sha256}/content\\?expires=\\d+&kid=[0-9a-f]+&signature=[0-9a-f]{64}$`),
        ),
      );
      expect(result.verified).toBe(true);
    } finally {
      process.chdir(cwd);
      process.env = saved;
      log.mockRestore();
    }
  });

  it('status: needs UFS_SERVER and UFS_API_KEY (or the options baseUrl and apiKey)', async () => {
    expect(await providerStatus('ufs', {})).toMatchObject({ ready: false, reason: 'UFS_SERVER is not set' });
    expect(await providerStatus('ufs', { UFS_SERVER: 'http://x' })).toMatchObject({
      ready: false,
      reason: 'UFS_API_KEY is not set',
    });
    expect((await providerStatus('ufs', env())).ready).toBe(true);
    expect((await providerStatus('ufs', {}, { baseUrl: 'http://x', apiKey: 'k' })).ready).toBe(true);
  });

  it('streams: 256 MiB hashed, uploaded and verified with flat memory, server included (RSS growth < 100 MiB)', async () => {
    const path = join(dir, 'big.bin');
    const handle = await open(path, 'w');
    await handle.truncate(256 * MiB);
    for (let offset = 0; offset < 256 * MiB; offset += 32 * MiB) await handle.write(`block ${offset}\n`, offset);
    await handle.close();
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const result = await uploadFile(path, opts());
      expect(result.verified).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    const growth = (peak - baseline) / MiB;
    process.stderr.write(
      `ufs: 256 MiB upload + verify through the in-process server, RSS growth ${growth.toFixed(1)} MiB\n`,
    );
    expect(uploads()).toBe(1);
    expect(growth).toBeLessThan(100);
  }, 60_000);
});
