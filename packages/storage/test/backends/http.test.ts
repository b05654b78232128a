import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { describeBackendContract, expectUfsError, get, readAll } from '@org/storage-testing';
import definition, { createHttpBackend } from '../../src/backends/http/index.js';
import { loadBackend } from '../../src/registry.js';
import { startStaticServer } from '../fakes/static-http-server.js';

const digest = (bytes: Buffer) => `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const big = randomBytes(8 * 1024 * 1024);
const fixtures: Record<string, Buffer> = {
  'hello.txt': Buffer.from('hello over http: at least sixteen bytes'),
  'dir/nested file ü.bin': randomBytes(100),
  'all-bytes.bin': allBytes,
  'odd name #?&+.txt': Buffer.from('odd'),
};
const server = await startStaticServer({ ...fixtures, 'big.bin': big }, { slowMs: 1_500 });
afterAll(() => server.close());

const create = (raw: Record<string, unknown>): StorageBackend => {
  const backend = definition.create(definition.options.parse(raw), { mountName: 'web', env: {} });
  return backend as StorageBackend;
};

describeBackendContract('http', { backend: create({ baseUrl: server.url }), fixtures });

describe('http backend', () => {
  const backend = create({ baseUrl: server.url, timeoutMs: 400 });

  it('stats by HEAD: size, mtime, etag, content type; 404 is null; the root is a folder', async () => {
    const stat = await backend.stat('hello.txt');
    expect(stat).toMatchObject({ key: 'hello.txt', isFile: true, isDir: false, size: fixtures['hello.txt']!.length });
    expect(stat?.mtime?.toISOString()).toBe('2024-03-01T12:00:00.000Z');
    expect(stat?.etag).toMatch(/^"[0-9a-f]{40}"$/);
    expect(stat?.contentType).toMatch(/^text\/plain/);
    expect(stat?.hash).toBeUndefined();
    expect(await backend.stat('nope/missing.txt')).toBeNull();
    expect(await backend.stat('')).toMatchObject({ isDir: true, isFile: false });
    await expectUfsError(backend.read(''), 'INVALID_INPUT');
  });

  it('falls back to a one-byte ranged GET when HEAD is refused or gives no size', async () => {
    const before = server.requests.length;
    expect(await backend.stat('__no-head/all-bytes.bin')).toMatchObject({ size: 256, isFile: true });
    const asked = server.requests.slice(before).map((r) => `${r.method} ${r.headers.range ?? ''}`);
    expect(asked).toEqual(['HEAD ', 'GET bytes=0-0']);
    expect(await backend.stat('__chunked/all-bytes.bin')).toMatchObject({ size: 256 });
    expect(await backend.stat('__get-only/all-bytes.bin')).toMatchObject({ size: 256 });
    expect(await backend.stat('__no-head/missing.bin')).toBeNull();
  });

  it('reads ranges with 206 answers, streams big files, and reads nothing past the end', async () => {
    expect(digest(await get(backend, 'big.bin'))).toBe(digest(big));
    expect(digest(await get(backend, 'big.bin', { start: 3_000_000, end: 5_000_000 }))).toBe(
      digest(big.subarray(3_000_000, 5_000_001)),
    );
    expect(await get(backend, 'all-bytes.bin', { start: 300 })).toEqual(Buffer.alloc(0));
    const last = server.requests.at(-1)!;
    expect(last.headers.range).toBe('bytes=300-');
    expect(last.headers['accept-encoding']).toBe('identity');
    await backend.stat('hello.txt');
    expect(server.requests.at(-1)!.headers['accept-encoding']).toBe('identity');
  });

  it('skips client-side when a server ignores Range, or fails when told to', async () => {
    expect(await get(backend, '__ignore-range/all-bytes.bin', { start: 10, end: 19 })).toEqual(
      allBytes.subarray(10, 20),
    );
    expect(digest(await get(backend, '__ignore-range/big.bin', { start: 8_000_000 }))).toBe(
      digest(big.subarray(8_000_000)),
    );
    const strict = create({ baseUrl: server.url, ignoredRange: 'fail' });
    await expectUfsError(strict.read('__ignore-range/all-bytes.bin', { start: 1, end: 2 }), 'UNSUPPORTED');
    expect(await get(strict, '__ignore-range/all-bytes.bin')).toEqual(allBytes);
  });

  it('checks the Content-Range of 206 answers', async () => {
    expect(await get(backend, '__shifted-range/all-bytes.bin', { start: 50, end: 59 })).toEqual(
      allBytes.subarray(50, 60),
    );
    await expectUfsError(backend.read('__wrong-range/all-bytes.bin', { start: 50, end: 59 }), 'UNEXPECTED');
    await expectUfsError(backend.read('all-bytes.bin', { start: 5, end: 2 }), 'INVALID_INPUT');
  });

  it('maps HTTP errors: 404, 500, 429 with Retry-After, 401', async () => {
    await expectUfsError(backend.read('missing.bin'), 'NOT_FOUND');
    const broken = await expectUfsError(backend.read('__500/hello.txt'), 'UNAVAILABLE');
    expect(broken.retryable).toBe(true);
    expect(broken.context).toMatchObject({
      backend: 'http',
      mount: 'web',
      operation: 'read',
      path: 'web:__500/hello.txt',
      status: 500,
    });
    expect(broken.message).toMatch(/^\[ufs\] \[http\] read "web:__500\/hello.txt": HTTP 500/);
    await expectUfsError(backend.stat('__500/hello.txt'), 'UNAVAILABLE');
    const limited = await expectUfsError(backend.read('__429/hello.txt'), 'RATE_LIMITED');
    expect(limited.retryAfterMs).toBe(7000);
    await expectUfsError(backend.stat('__private/hello.txt'), 'PERMISSION_DENIED');
  });

  it('sends configured headers (auth) with every request', async () => {
    const authed = create({ baseUrl: server.url, headers: { authorization: 'Bearer secret' } });
    expect(await authed.stat('__private/hello.txt')).toMatchObject({ size: fixtures['hello.txt']!.length });
    expect(await get(authed, '__private/hello.txt')).toEqual(fixtures['hello.txt']);
  });

  it('times out waiting for headers, and for a stalled body', async () => {
    const started = Date.now();
    await expectUfsError(backend.stat('__slow-head/hello.txt'), 'TIMEOUT');
    await expectUfsError(backend.read('__slow-head/hello.txt'), 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1_400);
    const stream = await backend.read('__slow-body/hello.txt');
    const error = await expectUfsError(readAll(stream), 'TIMEOUT');
    expect(error.retryable).toBe(true);
  });

  it('stops with ABORTED when the caller aborts, before or during the body', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectUfsError(backend.read('hello.txt', { signal: controller.signal }), 'ABORTED');
    const later = new AbortController();
    const patient = create({ baseUrl: server.url, timeoutMs: 10_000 });
    const stream = await patient.read('__slow-body/hello.txt', { signal: later.signal });
    setTimeout(() => later.abort(), 100);
    await expectUfsError(readAll(stream), 'ABORTED');
  });

  it('says UNAVAILABLE when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const dead = create({ baseUrl: `http://127.0.0.1:${port}/` });
    const error = await expectUfsError(dead.stat('x'), 'UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('names a port fetch refuses (CONFIG_INVALID), at mount time and when the backend is built directly', async () => {
    expect(() => definition.options.parse({ baseUrl: 'http://127.0.0.1:1/' })).toThrow(
      'baseUrl uses port 1, which fetch refuses to connect to',
    );
    const direct = createHttpBackend({
      baseUrl: 'http://127.0.0.1:6000/files/',
      headers: {},
      timeoutMs: 1000,
      ignoredRange: 'skip',
    });
    const error = await expectUfsError(direct.stat('a.txt'), 'CONFIG_INVALID');
    expect(error.message).toBe(
      '[ufs] [http] stat "http:a.txt": baseUrl uses port 6000, which fetch refuses to connect to (a blocked "bad port" of the Fetch standard): use another port',
    );
    await expectUfsError(direct.read('a.txt'), 'CONFIG_INVALID');
  });

  it('percent-encodes each segment, keeps the base query, never escapes the base', async () => {
    const tokened = create({ baseUrl: `${server.url}?token=abc` });
    expect(tokened.publicUrl!('dir/nested file ü.bin')).toBe(`${server.url}dir/nested%20file%20%C3%BC.bin?token=abc`);
    expect(tokened.publicUrl!('odd name #?&+.txt')).toBe(`${server.url}odd%20name%20%23%3F%26%2B.txt?token=abc`);
    expect(await get(tokened, 'odd name #?&+.txt')).toEqual(Buffer.from('odd'));
    expect(server.requests.at(-1)!.url).toBe('/files/odd%20name%20%23%3F%26%2B.txt?token=abc');
    const noSlash = create({ baseUrl: server.url.slice(0, -1) });
    expect(await get(noSlash, 'hello.txt')).toEqual(fixtures['hello.txt']);
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '..']) {
      await expectUfsError(backend.stat(bad), 'INVALID_INPUT');
      expect(() => backend.publicUrl!(bad)).toThrow(/not a normalised key/);
    }
  });

  it('refuses writes, deletes, listing and mkdir with UNSUPPORTED', async () => {
    await expectUfsError(backend.list(''), 'UNSUPPORTED');
    await expectUfsError(backend.delete('hello.txt'), 'UNSUPPORTED');
    await expectUfsError(backend.mkdir('d'), 'UNSUPPORTED');
    expect(backend.capabilities).toMatchObject({ read: true, range: true, publicUrl: true, write: false, list: false });
  });

  it('validates options with clear messages, and reads mount URLs', async () => {
    const missing = definition.options.safeParse({});
    expect(missing.success).toBe(false);
    expect(missing.error?.issues[0]?.message).toMatch(/baseUrl is required/);
    for (const baseUrl of ['ftp://x/', 'not a url', '/relative/']) {
      const parsed = definition.options.safeParse({ baseUrl });
      expect(parsed.error?.issues[0]?.message).toMatch(/absolute http/);
    }
    expect(definition.options.safeParse({ baseUrl: 'https://x/', timeoutMs: -1 }).success).toBe(false);
    expect(definition.options.safeParse({ baseUrl: 'https://x/', bogus: 1 }).success).toBe(false);
    expect(definition.fromUrl?.(new URL('https://cdn.example.com/assets/?sig=1'))).toEqual({
      baseUrl: 'https://cdn.example.com/assets/?sig=1',
    });
    expect((await loadBackend('https')).protocol).toBe('http');
  });
});
