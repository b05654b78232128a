import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileRecord, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

interface Answer {
  status: number;
  detail: string;
  code: string;
}

describe('refusals say what was wrong', () => {
  let server: TestServer;
  const call = async (
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string | Buffer } = {},
  ) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'x-api-key': server.key, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const body = (await res.json()) as { detail: string; code: string };
    return { status: res.status, detail: body.detail, code: body.code } satisfies Answer;
  };
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('a field of the wrong type is reported once, not also against the checks of the right type', async () => {
    const res = await call('POST', '/api_keys', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', scopes: 'read' }),
    });
    expect(res.status).toBe(400);
    expect(res.detail).toMatch(/scopes: .*expected array, received string/);
    expect(res.detail).not.toMatch(/Too big|<=3 characters/);
  });

  it.each([
    ['GET', '/files/'],
    ['DELETE', '/files/'],
    ['DELETE', '/api_keys/'],
  ])('an id over 100 characters on %s %s{id} is a 400 saying it is too long', async (method, prefix) => {
    const res = await call(method, `${prefix}${'a'.repeat(101)}`);
    expect([res.status, res.code]).toEqual([400, 'INVALID_INPUT']);
    expect(res.detail).toBe('an id or hash in the path is too long (over 100 characters)');
  });

  it('a multipart "file" part without a filename is named as such', async () => {
    const data = 'no filename';
    const record = fileRecord({ sha256: sha256Of(data), file_size: data.length });
    const put = await call('POST', '/put_file', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(record),
    });
    expect(put.status).toBeLessThan(300);
    const q = new URLSearchParams({ hostname: record.hostname, filepath: record.filepath });
    const res = await call('POST', `/upload_file/${record.sha256}?${q}`, {
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: `--x\r\nContent-Disposition: form-data; name="file"\r\n\r\n${data}\r\n--x--\r\n`,
    });
    expect(res.status).toBe(400);
    expect(res.detail).toMatch(/the multipart "file" part has no filename/);
  });

  it('a multipart upload with more than 32 parts before "file" is 413 naming the limit; 31 before it work', async () => {
    const data = 'many parts';
    const record = fileRecord({ sha256: sha256Of(data), file_size: data.length, filepath: '/parts.txt' });
    const put = await call('POST', '/put_file', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(record),
    });
    expect(put.status).toBeLessThan(300);
    const q = new URLSearchParams({ hostname: record.hostname, filepath: record.filepath });
    const form = (before: number, kind: 'field' | 'file') => {
      const part = (i: number) =>
        kind === 'field'
          ? `--x\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv\r\n`
          : `--x\r\nContent-Disposition: form-data; name="f${i}"; filename="o${i}"\r\n\r\nv\r\n`;
      const file = `--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n${data}\r\n--x--\r\n`;
      return Array.from({ length: before }, (_, i) => part(i)).join('') + file;
    };
    const upload = (body: string) =>
      call('POST', `/upload_file/${record.sha256}?${q}`, {
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
        body,
      });
    for (const kind of ['field', 'file'] as const) {
      const res = await upload(form(40, kind));
      expect([kind, res.status, res.code]).toEqual([kind, 413, 'TOO_LARGE']);
      expect(res.detail).toBe(
        'a multipart upload may have at most 32 parts up to its "file" part, and this one has more before it: send ' +
          'the "file" part first',
      );
    }
    expect((await upload(form(31, 'field'))).status).toBe(200);
    expect((await upload(form(31, 'file'))).status).toBe(200);
  });

  it('a page cursor of one query given with another is 400 INVALID_INPUT', async () => {
    for (const host of ['laptop', 'lk']) {
      for (const path of ['/a', '/b', '/c']) {
        const res = await call('POST', '/put_file', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(fileRecord({ hostname: host, filepath: path })),
        });
        expect(res.status).toBe(201);
      }
    }
    const first = await fetch(`${server.url}/files?hostname=laptop&limit=1`, { headers: { 'x-api-key': server.key } });
    const cursor = ((await first.json()) as { next_cursor: string }).next_cursor;
    expect(typeof cursor).toBe('string');
    const same = await fetch(`${server.url}/files?hostname=laptop&limit=2&cursor=${cursor}`, {
      headers: { 'x-api-key': server.key },
    });
    const page = (await same.json()) as { items: { hostname: string; filepath: string }[] };
    expect(page.items.map((r) => `${r.hostname}:${r.filepath}`)).toEqual(['laptop:/b', 'laptop:/c']);
    for (const other of ['hostname=lk', '', 'hostname=laptop&path_prefix=/', `sha256=${sha256Of('x')}`]) {
      const res = await call('GET', `/files?${other}&cursor=${cursor}`);
      expect([other, res.status, res.code]).toEqual([other, 400, 'INVALID_INPUT']);
      expect(res.detail).toMatch(/^invalid query: cursor: the cursor belongs to another query/);
    }
    const junk = await call('GET', '/files?hostname=laptop&cursor=abc');
    expect([junk.status, junk.detail]).toEqual([
      400,
      'invalid page cursor (use the cursor of the previous page as is)',
    ]);
  });

  it('a JSON body sent as text/plain is 415 naming application/json', async () => {
    const res = await call('POST', '/put_file', {
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(fileRecord()),
    });
    expect(res.status).toBe(415);
    expect(res.code).toBe('INVALID_INPUT');
    expect(res.detail).toMatch(/Content-Type: application\/json/);
  });
});
