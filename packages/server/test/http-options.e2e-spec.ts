import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep } from '@org/core';
import { partialUpload } from './helpers/partial-upload.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

const APP = 'https://app.example';

/** A CORS preflight of a tus PATCH from `origin`. */
const preflight = (url: string, origin: string) =>
  fetch(`${url}/tus`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'upload-offset' },
  });

describe('tus CORS, only with the tusCorsOrigin option', () => {
  let plain: TestServer;
  let listed: TestServer;
  let any: TestServer;
  beforeAll(async () => {
    [plain, listed, any] = await Promise.all([
      startServer(),
      startServer({ tusCorsOrigin: [APP, 'http://localhost:5173'] }),
      startServer({ tusCorsOrigin: '*' }),
    ]);
  });
  afterAll(async () => Promise.all([plain, listed, any].map((s) => s?.close())));

  it('without the option no Access-Control-* header is sent, preflight included', async () => {
    const answers = [
      await preflight(plain.url, APP),
      await fetch(`${plain.url}/tus`, { method: 'POST', headers: { origin: APP, 'x-api-key': plain.key } }),
    ];
    for (const res of answers) {
      expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('a listed origin gets the preflight answered and the tus headers exposed, on errors too', async () => {
    const res = await preflight(listed.url, APP);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Upload-Offset/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/X-API-Key/);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();

    const tus = tusClient(listed.url, listed.key);
    const data = 'from a browser';
    const created = await fetch(`${listed.url}/tus`, {
      method: 'POST',
      headers: {
        origin: APP,
        'x-api-key': listed.key,
        'tus-resumable': '1.0.0',
        'upload-length': String(data.length),
        'upload-metadata': `sha256 ${Buffer.from(sha256Of(data)).toString('base64')}`,
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe(APP);
    expect(created.headers.get('access-control-expose-headers')).toMatch(/Location.*Upload-Offset/);
    expect((await tus.patch(created.headers.get('location')!, 0, data)).status).toBe(204);
    // An error under /tus carries them too, or the browser hides it from the client.
    const refused = await fetch(`${listed.url}/tus/${'0'.repeat(32)}`, {
      method: 'HEAD',
      headers: { origin: APP, 'x-api-key': listed.key, 'tus-resumable': '1.0.0' },
    });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('an origin not listed gets no Allow-Origin; routes outside /tus get no CORS headers', async () => {
    const other = await preflight(listed.url, 'https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-allow-methods')).toBeNull();
    const outside = await fetch(`${listed.url}/health`, { headers: { origin: APP } });
    expect(outside.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('"*" allows any origin', async () => {
    const res = await preflight(any.url, 'https://anywhere.example');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
  });

  it('a malformed origin is refused at start-up with a clear error', async () => {
    await expect(startServer({ tusCorsOrigin: ['app.example'] })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/tusCorsOrigin.*"app\.example"/),
    });
  });
});

describe('requests whose client went away, odd JSON keys, unknown query keys, multipart parts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('an upload its client abandons is counted in /metrics with status 499', async () => {
    const data = Buffer.alloc(4 * 1024 * 1024, 3);
    const sha = sha256Of(data);
    const cut = partialUpload(server.url, `/files/${sha}/content`, server.key, data.subarray(0, 200_000), data.length, {
      'content-type': 'application/octet-stream',
    });
    await cut.sent;
    await sleep(200);
    cut.cut();
    await cut.ended;
    const line = /ufs_http_requests_total\{method="PUT",route="\/files\/:sha256\/content",status="499"\} (\d+)/;
    let match: RegExpMatchArray | null = null;
    for (let i = 0; i < 50 && !match; i++) {
      match = (await client(server.url, server.key).call('GET', '/metrics')).text.match(line);
      if (!match) await sleep(50);
    }
    expect(Number(match?.[1])).toBe(1);
  });

  it('a "__proto__" key in a JSON body is 400 naming the key', async () => {
    const record = JSON.stringify(fileRecord({ hostname: 'p', filepath: '/p' }));
    for (const body of [
      `${record.slice(0, -1)},"__proto__":{"admin":true}}`,
      `{"files":[${record.slice(0, -1)},"\\u005f_proto__":{}}]}`,
    ]) {
      // Also written with a \u escape, in a nested object of a batch.
      const path = body.startsWith('{"files"') ? '/put_files' : '/put_file';
      const sent = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': server.key, 'content-type': 'application/json' },
        body,
      });
      expect(sent.status).toBe(400);
      expect(await sent.json()).toEqual({
        code: 'INVALID_INPUT',
        retryable: false,
        detail: 'the key "__proto__" is not allowed in a JSON body',
      });
    }
  });

  it('an unknown query parameter is 400 naming it (and a JSON field is called a field)', async () => {
    const c = client(server.url, server.key);
    const listed = await c.call('GET', '/files?hostname=h&colour=blue&size=3');
    expect(listed.status).toBe(400);
    expect(listed.json).toEqual({
      code: 'INVALID_INPUT',
      retryable: false,
      detail: 'invalid query: unknown query parameters "colour", "size"',
    });
    const gc = await c.call('POST', '/admin/gc', { dry_run: true, colour: 'blue' });
    expect(gc.status).toBe(400);
    expect(gc.json.detail).toBe('invalid gc options: unknown field "colour"');
  });

  it('a multipart upload with another file part before "file" stores the "file" part', async () => {
    const data = 'the real content';
    const sha = sha256Of(data);
    const c = client(server.url, server.key);
    expect(
      (
        await c.call(
          'POST',
          '/put_file',
          fileRecord({ hostname: 'm', filepath: '/m', sha256: sha, file_size: data.length }),
        )
      ).status,
    ).toBe(201);
    const form = new FormData();
    form.append('thumbnail', new Blob(['t'.repeat(100_000)]), 'thumb.png');
    form.append('note', 'a field');
    form.append('file', new Blob([data]), 'f.bin');
    form.append('after', new Blob(['ignored too']), 'after.bin');
    const q = new URLSearchParams({ hostname: 'm', filepath: '/m' });
    const res = await fetch(`${server.url}/upload_file/${sha}?${q}`, {
      method: 'POST',
      headers: { 'x-api-key': server.key },
      body: form,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sha256: sha, file_size: data.length });
    const download = await fetch(`${server.url}/files/${sha}/content`, { headers: { 'x-api-key': server.key } });
    expect(await download.text()).toBe(data);
  });
});
