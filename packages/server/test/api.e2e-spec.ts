import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { inOneRateWindow, startServer, type TestServer } from './helpers/server.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';

describe('dedup API over HTTP (embedded store, local content mount)', () => {
  let server: TestServer;
  let c: ReturnType<typeof client>;
  beforeAll(async () => {
    server = await startServer({ keyTouchIntervalMs: 0 });
    c = client(server.url, server.key);
  });
  afterAll(async () => server?.close());

  it('GET / and /health need no key; /health reports store and storage', async () => {
    const anon = client(server.url, '');
    expect((await fetch(`${server.url}/`)).status).toBe(200);
    const health = await fetch(`${server.url}/health`);
    const text = await health.text();
    // The mount by its kind only: no server path for callers without a key.
    expect(JSON.parse(text)).toEqual({
      status: 'healthy',
      database: { status: 'connected', type: 'sqlite' },
      storage: { status: 'available', type: 'local', mount: 'local' },
    });
    expect(text).not.toContain(server.dir);
    expect((await anon.call('GET', '/get_file/' + sha256Of('x'))).status).toBe(401);
  });

  it('put_file: 201, one record per (hostname, path), upload only when content is missing', async () => {
    const body = fileRecord({ hostname: 'h-put', filepath: '/srv/a.txt', sha256: sha256Of('aaa'), file_size: 3 });
    const first = await c.call('POST', '/put_file', body);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      ...body,
      is_symlink: false,
      link_target: null,
      has_file_content: false,
      file_uploaded_at: null,
      upload_required: true,
      upload_url: `/upload_file/${sha256Of('aaa')}`,
    });
    expect(typeof first.json._id).toBe('string');
    const again = await c.call('POST', '/put_file', { ...body, file_mtime: 1 });
    expect(again.json._id).toBe(first.json._id);
    const listed = await c.call('GET', '/files?hostname=h-put');
    expect(listed.json.items).toHaveLength(1);
    expect(listed.json.items[0].file_mtime).toBe(1);

    expect((await c.upload(sha256Of('aaa'), 'aaa', 'h-put', '/srv/a.txt')).status).toBe(200);
    const other = await c.call('POST', '/put_file', { ...body, hostname: 'h-other' });
    expect(other.json).toMatchObject({ upload_required: false, upload_url: null, has_file_content: true });
    expect(typeof other.json.file_uploaded_at).toBe('string');
    const empty = await c.call('POST', '/put_file', {
      ...body,
      filepath: '/srv/empty',
      sha256: sha256Of(''),
      file_size: 0,
    });
    expect(empty.json).toMatchObject({ upload_required: false });
  });

  it('a file path may hold any character a Linux file name can (tab, newline, CR, ESC, DEL), not NUL', async () => {
    const paths = ['/srv/a\tb.txt', '/srv/line\nbreak', '/srv/cr\r.txt', '/srv/esc\u001b[31m', '/srv/del\u007f'];
    const batch = await c.call('POST', '/put_files', {
      files: paths.map((filepath) =>
        fileRecord({ hostname: 'h-odd', filepath, sha256: sha256Of(filepath), file_size: Buffer.byteLength(filepath) }),
      ),
    });
    expect(batch.status).toBe(200);
    const one = await c.call('POST', '/put_file', fileRecord({ hostname: 'h-odd', filepath: '/srv/one\ttab' }));
    expect(one.status).toBe(201);
    const listed = await c.call('GET', '/files?hostname=h-odd');
    expect(listed.json.items.map((item: { filepath: string }) => item.filepath).sort()).toEqual(
      [...paths, '/srv/one\ttab'].sort(),
    );
    // Its content is uploaded by that path like any other.
    const upload = await c.upload(sha256Of(paths[1]!), paths[1]!, 'h-odd', paths[1]!);
    expect(upload.status).toBe(200);
    const nul = await c.call('POST', '/put_file', fileRecord({ hostname: 'h-odd', filepath: '/srv/a\u0000b' }));
    expect(nul.status).toBe(400);
    const host = await c.call('POST', '/put_file', fileRecord({ hostname: 'h\todd', filepath: '/srv/x' }));
    expect({ status: host.status, detail: host.json.detail }).toEqual({
      status: 400,
      detail: 'invalid file metadata: hostname: hostname must not contain control characters',
    });
  });

  it('upload_file: 400 on bad hash or wrong content, 404 without a record', async () => {
    const sha = sha256Of('bbb');
    await c.call('POST', '/put_file', fileRecord({ hostname: 'h-up', filepath: '/b', sha256: sha, file_size: 3 }));
    expect((await c.upload('XYZ', 'bbb', 'h-up', '/b')).status).toBe(400);
    expect((await c.upload(sha256Of('nope'), 'nope', 'h-up', '/b')).status).toBe(404);
    const wrong = await c.upload(sha, 'not bbb', 'h-up', '/b');
    expect(wrong.status).toBe(400);
    expect(wrong.json.detail).toMatch(/mismatch/);
    expect((await c.call('GET', `/get_file/${sha}`)).json).toMatchObject({ has_file_content: false });
    const ok = await c.upload(sha, 'bbb', 'h-up', '/b');
    expect(ok).toEqual({
      status: 200,
      json: {
        message: 'File uploaded successfully',
        sha256: sha,
        file_size: 3,
        hostname: 'h-up',
        filepath: '/b',
        outcome: 'stored',
      },
    });
    expect((await c.upload(sha, 'bbb', 'h-up', '/b')).json.outcome).toBe('deduplicated');
  });

  it('get_file: 200, 400, 404', async () => {
    expect((await c.call('GET', `/get_file/${sha256Of('aaa')}`)).json).toMatchObject({ sha256: sha256Of('aaa') });
    expect((await c.call('GET', '/get_file/123')).status).toBe(400);
    expect((await c.call('GET', `/get_file/${sha256Of('never')}`)).status).toBe(404);
  });

  it('download: ETag, Content-Length, Range 206, suffix range, 416, If-None-Match 304', async () => {
    const data = 'The quick brown fox jumps over the lazy dog';
    const sha = sha256Of(data);
    expect((await c.call('PUT', `/files/${sha}/content`, undefined, {})).status).toBe(400);
    const put = await fetch(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(put.status).toBe(200);
    const full = await c.call('GET', `/files/${sha}/content`);
    expect(full.text).toBe(data);
    expect(full.headers.get('etag')).toBe(`"${sha}"`);
    expect(full.headers.get('content-length')).toBe(String(data.length));
    const part = await c.call('GET', `/files/${sha}/content`, undefined, { range: 'bytes=4-8' });
    expect(part.status).toBe(206);
    expect(part.text).toBe('quick');
    expect(part.headers.get('content-range')).toBe(`bytes 4-8/${data.length}`);
    expect((await c.call('GET', `/files/${sha}/content`, undefined, { range: 'bytes=-3' })).text).toBe('dog');
    expect((await c.call('GET', `/files/${sha}/content`, undefined, { range: 'bytes=40-' })).text).toBe('dog');
    const beyond = await c.call('GET', `/files/${sha}/content`, undefined, { range: 'bytes=999-' });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${data.length}`);
    const cached = await c.call('GET', `/files/${sha}/content`, undefined, { 'if-none-match': `"${sha}"` });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
    expect((await c.call('GET', `/files/${sha256Of('zzz')}/content`)).status).toBe(404);
  });

  it('batch put answers which hashes need upload', async () => {
    const files = Array.from({ length: 50 }, (_, i) =>
      fileRecord({ hostname: 'h-batch', filepath: `/f/${i}`, sha256: sha256Of(`batch-${i % 10}`), file_size: 7 }),
    );
    files.push(fileRecord({ hostname: 'h-batch', filepath: '/f/known', sha256: sha256Of('aaa'), file_size: 3 }));
    const res = await c.call('POST', '/put_files', { files });
    expect(res.status).toBe(200);
    expect(res.json.results).toHaveLength(51);
    expect(res.json.upload_required).toHaveLength(10);
    expect(res.json.upload_required).not.toContain(sha256Of('aaa'));
    const bad = await c.call('POST', '/put_files', { files: [files[0], { ...files[1], sha256: 'x' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toMatch(/files\[1\]/);
  });

  it('a batch refused because of one record names its index as a field, `record` (and in the message)', async () => {
    const files = Array.from({ length: 6 }, (_, i) =>
      fileRecord({ hostname: 'h-refused', filepath: `/r/${i}`, sha256: sha256Of(`r-${i}`), file_size: 3 }),
    );
    // the first bad record is named: the 4th (a traversal) comes before the 6th (a bad hash)
    files[3] = { ...files[3]!, filepath: '/r/../etc/passwd' };
    files[5] = { ...files[5]!, sha256: 'x' };
    const bad = await c.call('POST', '/put_files', { files });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({
      detail: 'invalid record files[3]: filepath: filepath must not contain "." or ".." segments',
      code: 'INVALID_INPUT',
      retryable: false,
      record: 3,
    });
    expect((await c.call('GET', '/files?hostname=h-refused')).json.items).toEqual([]);
    // only a refusal of one record carries it
    const empty = await c.call('POST', '/put_files', { files: [] });
    expect(empty.status).toBe(400);
    expect(empty.json).not.toHaveProperty('record');
    const single = await c.call('POST', '/put_file', files[5]);
    expect(single.status).toBe(400);
    expect(single.json).not.toHaveProperty('record');
  });

  it('lists by host, path prefix and hash with pagination; deletes records', async () => {
    const pages: unknown[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/files?hostname=h-batch&path_prefix=/f/&limit=20${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await c.call('GET', q);
      pages.push(...res.json.items);
      cursor = res.json.next_cursor as string | null;
    } while (cursor);
    expect(pages).toHaveLength(51);
    const clones = await c.call('GET', `/files?sha256=${sha256Of('batch-3')}`);
    expect(clones.json.items).toHaveLength(5);
    const id = clones.json.items[0]._id;
    expect((await c.call('GET', `/files/${id}`)).json._id).toBe(id);
    expect((await c.call('DELETE', `/files/${id}`)).json).toEqual({ message: 'File deleted' });
    expect((await c.call('DELETE', `/files/${id}`)).status).toBe(404);
    expect((await c.call('GET', `/files?sha256=${sha256Of('batch-3')}`)).json.items).toHaveLength(4);
  });

  it('API keys: create (shown once), list, scopes, revoke, delete; last_used_at', async () => {
    const created = await c.call('POST', '/api_keys', { name: 'scanner', description: 'laptop scanner' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'scanner', description: 'laptop scanner', is_active: true });
    expect(created.json.api_key).toMatch(/^[0-9a-f]{64}$/);
    const scanner = client(server.url, created.json.api_key);
    expect((await scanner.call('POST', '/put_file', fileRecord({ hostname: 'h-key' }))).status).toBe(201);
    expect((await scanner.call('GET', '/api_keys')).status).toBe(403);
    const listed = await c.call('GET', '/api_keys');
    const entry = listed.json.find((k: { _id: string }) => k._id === created.json._id);
    expect(entry.api_key).toBeUndefined();
    expect(JSON.stringify(listed.json)).not.toContain(created.json.api_key);
    expect(typeof entry.last_used_at).toBe('string');

    const ro = await c.call('POST', '/api_keys', { name: 'reader', scopes: ['read'] });
    const reader = client(server.url, ro.json.api_key);
    expect((await reader.call('GET', `/get_file/${sha256Of('aaa')}`)).status).toBe(200);
    const denied = await reader.call('POST', '/put_file', fileRecord());
    expect(denied.status).toBe(403);
    expect(denied.json.detail).toMatch(/write/);
    expect((await scanner.call('POST', '/api_keys', { name: 'x' })).status).toBe(403);

    expect((await c.call('PUT', `/api_keys/${created.json._id}/revoke`)).json).toEqual({
      message: 'API key revoked successfully',
    });
    const revoked = await scanner.call('POST', '/put_file', fileRecord());
    expect(revoked.status).toBe(401);
    expect(revoked.json.detail).toMatch(/revoked/);
    expect((await c.call('DELETE', `/api_keys/${created.json._id}`)).status).toBe(200);
    expect((await c.call('DELETE', `/api_keys/${created.json._id}`)).status).toBe(404);
    expect((await c.call('PUT', '/api_keys/nope/revoke')).status).toBe(404);
  });

  it('serves Prometheus metrics and the OpenAPI document', async () => {
    const metrics = await c.call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/ufs_http_requests_total\{method="POST",route="\/put_file",status="201"\} \d+/);
    expect(metrics.text).toMatch(/ufs_bytes_in_total \d+/);
    expect(metrics.text).toMatch(/ufs_dedup_hits_total [1-9]/);
    expect(metrics.text).toMatch(/ufs_store_operation_duration_seconds_count\{operation="upsertFile"\} \d+/);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/put_file', '/upload_file/{sha256}', '/tus', '/api_keys']),
    );
    expect(doc.components.schemas.FileMetadata?.properties).toHaveProperty('sha256');
    expect(Object.keys(doc.paths)).toContain('/catalogue');
    expect(doc.components.schemas.Catalogue?.properties).toHaveProperty('catalogue_epoch');
    expect(doc.components.schemas.Error?.properties).toHaveProperty('record');
    expect(JSON.stringify(doc.paths['/put_files'])).toContain('#/components/schemas/Error');
    const ui = await fetch(`${server.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });
});

describe('per-key rate limit (counted in the store)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ rateLimitPerMinute: 5 });
  });
  afterAll(async () => server?.close());

  it('answers 429 with Retry-After past the limit; other keys are unaffected', async () => {
    const c = client(server.url, server.key);
    await inOneRateWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await c.call('GET', `/get_file/${sha256Of('r')}`)).status);
    expect(statuses.slice(0, 5)).toEqual([404, 404, 404, 404, 404]);
    const limited = await c.call('GET', `/get_file/${sha256Of('r')}`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.json).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    const { apiKey } = await import('../src/index.js').then((m) =>
      m.createBootstrapKey(server.store, { name: 'other' }),
    );
    expect((await client(server.url, apiKey).call('GET', `/get_file/${sha256Of('r')}`)).status).toBe(404);
  });

  it('every answer to a limited key carries RateLimit-Limit, -Remaining and -Reset, the 429 too', async () => {
    const { apiKey } = await import('../src/index.js').then((m) =>
      m.createBootstrapKey(server.store, { name: 'headers' }),
    );
    const c = client(server.url, apiKey);
    await inOneRateWindow();
    const seen: Array<[number, string | null, string | null]> = [];
    let reset = 0;
    for (let i = 0; i < 6; i++) {
      const res = await c.call('GET', `/get_file/${sha256Of('h')}`);
      seen.push([res.status, res.headers.get('ratelimit-limit'), res.headers.get('ratelimit-remaining')]);
      reset = Number(res.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
    }
    expect(seen).toEqual([
      [404, '5', '4'],
      [404, '5', '3'],
      [404, '5', '2'],
      [404, '5', '1'],
      [404, '5', '0'],
      [429, '5', '0'],
    ]);
    // A request refused before the key is known (no key) counts against nothing: no RateLimit headers.
    const anonymous = await fetch(`${server.url}/get_file/${sha256Of('h')}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('ratelimit-limit')).toBeNull();
  });

  it("a created key's rate limit may not exceed its creator's; without one it inherits the creator's", async () => {
    const { apiKey } = await import('../src/index.js').then((m) =>
      m.createBootstrapKey(server.store, { name: 'creator', rateLimitPerMinute: 1000 }),
    );
    const admin = client(server.url, apiKey);
    await inOneRateWindow();
    const higher = await admin.call('POST', '/api_keys', { name: 'greedy', rate_limit_per_minute: 1001 });
    expect(higher.status).toBe(403);
    expect(higher.json).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false });
    expect(higher.json.detail).toMatch(/rate limit of 1001 .*limited to 1000/);
    const equal = await admin.call('POST', '/api_keys', { name: 'equal', rate_limit_per_minute: 1000 });
    expect([equal.status, equal.json.rate_limit_per_minute]).toEqual([201, 1000]);
    const lower = await admin.call('POST', '/api_keys', { name: 'lower', rate_limit_per_minute: 2 });
    expect([lower.status, lower.json.rate_limit_per_minute]).toEqual([201, 2]);
    // The server default (5) is below the creator's 1000: a key without a limit of its own keeps the default.
    const unset = await admin.call('POST', '/api_keys', { name: 'unset' });
    expect([unset.status, unset.json.rate_limit_per_minute]).toEqual([201, null]);
    // A creator limited below the server default passes its own limit on.
    const { apiKey: slow } = await import('../src/index.js').then((m) =>
      m.createBootstrapKey(server.store, { name: 'slow creator', rateLimitPerMinute: 3 }),
    );
    const inherited = await client(server.url, slow).call('POST', '/api_keys', { name: 'child' });
    expect([inherited.status, inherited.json.rate_limit_per_minute]).toEqual([201, 3]);
    const child = client(server.url, inherited.json.api_key as string);
    expect((await child.call('GET', `/get_file/${sha256Of('c')}`)).headers.get('ratelimit-limit')).toBe('3');
  });
});
