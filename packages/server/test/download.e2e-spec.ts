import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey } from '@org/core';
import { openContentMount, type ContentMount } from '../src/index.js';
import { observeBackend, type ObservedBackend } from './helpers/observed-backend.js';
import { client, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * Headers that describe the connection or the moment, not the answer: each request counts against the key's rate
 * limit, so `RateLimit-Remaining` (and `RateLimit-Reset`, in seconds) differ between two requests. `RateLimit-Limit`
 * is compared.
 */
const TRANSIENT = new Set(['date', 'connection', 'keep-alive', 'ratelimit-remaining', 'ratelimit-reset']);

/** Download semantics of GET/HEAD /files/{sha256}/content: HEAD, caching headers, preconditions, missing objects. */
describe('content download (GET/HEAD /files/{sha256}/content)', () => {
  let dir: string;
  let mount: ContentMount;
  let observed: ObservedBackend;
  let server: TestServer;
  let c: TestClient;
  const data = 'download semantics, byte by byte. '.repeat(6000);
  const sha = sha256Of(data);
  const etag = `"${sha}"`;
  const path = `/files/${sha}/content`;

  const send = async (method: 'GET' | 'HEAD', url: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${server.url}${url}`, { method, headers: { 'x-api-key': server.key, ...headers } });
    const text = await response.text();
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (!TRANSIENT.has(name)) out[name] = value;
    });
    return { status: response.status, headers: out, text };
  };
  const upload = async (bytes: string) => {
    const put = await fetch(`${server.url}/files/${sha256Of(bytes)}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(put.status).toBe(200);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-download-'));
    mount = await openContentMount(join(dir, 'content'));
    observed = observeBackend(mount.backend);
    // Errors only: the missing-object test logs a warning on purpose.
    server = await startServer({ dir, content: observed.backend, logLevels: ['error'] });
    c = client(server.url, server.key);
    await upload(data);
  });
  afterAll(async () => {
    await server?.close();
    await mount?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('HEAD answers exactly the headers of GET and never opens the object', async () => {
    const cases: Array<Record<string, string>> = [
      {},
      { range: 'bytes=10-19' },
      { range: 'bytes=-7' },
      { 'if-none-match': etag },
      { 'if-none-match': `W/${etag}, "other"` },
      { range: 'bytes=5-9', 'if-range': etag },
      { range: 'bytes=5-9', 'if-range': `W/${etag}` },
      { 'if-match': '"nope"' },
      { range: `bytes=${data.length + 10}-` },
    ];
    const key = contentKey(sha);
    for (const headers of cases) {
      const get = await send('GET', path, headers);
      const before = observed.reads.filter((k) => k === key).length;
      const head = await send('HEAD', path, headers);
      expect(observed.reads.filter((k) => k === key).length).toBe(before);
      expect({ headers, status: head.status, headers_: head.headers }).toEqual({
        headers,
        status: get.status,
        headers_: get.headers,
      });
      expect(head.text).toBe('');
    }
    // The empty content is held without an object.
    const empty = `/files/${sha256Of('')}/content`;
    const [emptyGet, emptyHead] = [await send('GET', empty), await send('HEAD', empty)];
    expect([emptyHead.status, emptyHead.headers]).toEqual([200, emptyGet.headers]);
    expect(emptyHead.headers['content-length']).toBe('0');

    const full = await send('HEAD', path);
    expect(full.headers['content-length']).toBe(String(data.length));
    // A 304 has no body to measure: no `content-length: 0` on it.
    const notModified = await send('HEAD', path, { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.headers['content-length']).toBeUndefined();

    // The same through a signed URL (no key).
    const shared = await c.call('POST', `/files/${sha}/share`);
    const before = observed.reads.length;
    const signed = await fetch(new URL(shared.json.url as string, server.url), { method: 'HEAD' });
    expect(signed.status).toBe(200);
    expect(signed.headers.get('content-length')).toBe(String(data.length));
    expect(observed.reads.length).toBe(before);
  });

  it('key-authenticated downloads are private; caching headers only on 200, 206 and 304', async () => {
    const privately = 'private, max-age=31536000, immutable';
    const cases: Array<Record<string, string>> = [{}, { range: 'bytes=0-0' }, { 'if-none-match': etag }];
    for (const headers of cases) {
      for (const method of ['GET', 'HEAD'] as const) {
        const answer = await send(method, path, headers);
        expect([200, 206, 304]).toContain(answer.status);
        expect(answer.headers['cache-control']).toBe(privately);
        expect(answer.headers.etag).toBe(etag);
      }
    }
    const refused = [
      await send('GET', path, { range: `bytes=${data.length}-` }), // 416
      await send('GET', `/files/${sha256Of('never stored')}/content`), // 404
      await send('GET', path, { 'if-match': '"nope"' }), // 412
    ];
    expect(refused.map((a) => a.status)).toEqual([416, 404, 412]);
    for (const answer of refused) {
      expect(answer.headers['cache-control']).toBeUndefined();
      expect(answer.headers.etag).toBeUndefined();
      expect(answer.headers['accept-ranges']).toBeUndefined();
      expect(JSON.parse(answer.text)).toEqual({
        detail: expect.any(String),
        code: expect.any(String),
        retryable: false,
      });
    }
    expect(refused[0]!.headers['content-range']).toBe(`bytes */${data.length}`);

    // A signed URL keeps its own lifetime, private too.
    const shared = await c.call('POST', `/files/${sha}/share`, { expires_in: 600 });
    const signed = await fetch(new URL(shared.json.url as string, server.url));
    expect(signed.headers.get('cache-control')).toMatch(/^private, max-age=(59\d|600)$/);
  });

  it('If-Match, If-None-Match and If-Range are evaluated in RFC 9110 order before Range', async () => {
    const status = async (headers: Record<string, string>) => {
      const answer = await send('GET', path, headers);
      return [answer.status, answer.text.length];
    };
    const n = data.length;
    // If-Match: strong comparison; `*` matches the existing representation.
    expect(await status({ 'if-match': '"nope"' })).toEqual([412, expect.any(Number)]);
    expect(await status({ 'if-match': `W/${etag}` })).toEqual([412, expect.any(Number)]);
    expect(await status({ 'if-match': etag })).toEqual([200, n]);
    expect(await status({ 'if-match': `"a", ${etag}` })).toEqual([200, n]);
    expect(await status({ 'if-match': '*' })).toEqual([200, n]);
    expect(await status({ 'if-match': etag, range: 'bytes=0-3' })).toEqual([206, 4]);
    // If-Match comes before If-None-Match, If-None-Match (weak comparison) before Range.
    expect(await status({ 'if-match': '"nope"', 'if-none-match': etag })).toEqual([412, expect.any(Number)]);
    expect(await status({ 'if-none-match': `W/${etag}`, range: 'bytes=0-3' })).toEqual([304, 0]);
    expect(await status({ 'if-none-match': '"other"', range: 'bytes=0-3' })).toEqual([206, 4]);
    // If-Range: strong comparison with the ETag; a weak tag, another tag or a date never match (no Last-Modified is
    // sent): the Range is ignored and the whole body is sent.
    expect(await status({ 'if-range': etag, range: 'bytes=0-3' })).toEqual([206, 4]);
    expect(await status({ 'if-range': `W/${etag}`, range: 'bytes=0-3' })).toEqual([200, n]);
    expect(await status({ 'if-range': '"other"', range: 'bytes=0-3' })).toEqual([200, n]);
    expect(await status({ 'if-range': new Date().toUTCString(), range: 'bytes=0-3' })).toEqual([200, n]);
    // An If-Range that fails drops the Range before it is checked: no 416.
    expect(await status({ 'if-range': '"other"', range: `bytes=${n + 5}-` })).toEqual([200, n]);
    expect(await status({ 'if-range': etag, range: `bytes=${n + 5}-` })).toEqual([416, expect.any(Number)]);
    // If-Range without a Range changes nothing.
    expect(await status({ 'if-range': '"other"' })).toEqual([200, n]);
    const failed = await send('GET', path, { 'if-match': '"nope"' });
    expect(JSON.parse(failed.text)).toMatchObject({ code: expect.any(String), retryable: false });
    expect(JSON.parse(failed.text).detail).toContain('If-Match');
  });

  it('a missing content object answers 404 naming the hash only, not the backend or its storage key', async () => {
    const lost = 'content whose object went missing';
    const lostSha = sha256Of(lost);
    await upload(lost);
    await rm(join(dir, 'content', contentKey(lostSha)));
    for (const method of ['GET', 'HEAD'] as const) {
      const answer = await send(method, `/files/${lostSha}/content`);
      expect(answer.status).toBe(404);
      expect(answer.headers.etag).toBeUndefined();
      expect(answer.headers['cache-control']).toBeUndefined();
      if (method === 'GET') {
        expect(JSON.parse(answer.text)).toEqual({
          detail: `content ${lostSha} is not available`,
          code: 'NOT_FOUND',
          retryable: false,
        });
        expect(answer.text).not.toMatch(/local|content:|no such file/);
      }
    }
  });
});
