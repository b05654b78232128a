import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const EMPTY = sha256Of('');

describe('strict input: nothing a client sends is silently dropped or misread', () => {
  let server: TestServer;
  let c: TestClient;
  beforeAll(async () => {
    server = await startServer();
    c = client(server.url, server.key);
    expect((await c.call('POST', '/put_file', fileRecord())).status).toBe(201);
    expect((await c.upload(sha256Of('hello'), 'hello', 'laptop', '/home/alice/docs/report.pdf')).status).toBe(200);
  });
  afterAll(async () => server?.close());

  it('refuses an unknown put_file field (a typo) naming it, and stores nothing', async () => {
    const typo = { ...fileRecord({ filepath: '/srv/link' }), is_symlnk: true, link_targt: '/etc' };
    const res = await c.call('POST', '/put_file', typo);
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('INVALID_INPUT');
    expect(res.json.detail).toContain('unknown fields "is_symlnk", "link_targt"');
    expect((await c.call('GET', '/files?path_prefix=/srv/link')).json.items).toEqual([]);
  });

  it('refuses an unknown put_files field, and an unknown field of one record naming the record', async () => {
    const top = await c.call('POST', '/put_files', { files: [fileRecord()], colour: 'red' });
    expect(top.status).toBe(400);
    expect(top.json.detail).toBe('invalid batch: unknown field "colour"');
    const inner = await c.call('POST', '/put_files', { files: [fileRecord(), { ...fileRecord(), colour: 'red' }] });
    expect(inner.status).toBe(400);
    expect(inner.json.record).toBe(1);
    expect(inner.json.detail).toContain('invalid record files[1]: unknown field "colour"');
  });

  it.each([
    [
      'POST',
      `/upload_file/${sha256Of('hello')}?hostname=laptop&filepath=%2Fhome%2Falice%2Fdocs%2Freport.pdf&colour=red`,
    ],
    ['PUT', `/files/${sha256Of('hello')}/content?colour=1`],
    ['GET', `/get_file/${sha256Of('hello')}?colour=1`],
    ['GET', `/files/${sha256Of('hello')}/content?colour=1`],
    ['HEAD', `/files/${sha256Of('hello')}/content?colour=1`],
    ['POST', `/files/${sha256Of('hello')}/share?colour=1`],
    ['GET', '/files?colour=1'],
    ['GET', '/catalogue?colour=1'],
    ['GET', '/api_keys?colour=1'],
    ['POST', '/put_file?colour=1'],
    ['POST', '/put_files?colour=1'],
    ['POST', '/admin/gc?colour=1'],
    ['POST', '/admin/verify?colour=1'],
    ['POST', '/tus?colour=1'],
  ])('refuses an unknown query parameter: %s %s', async (method, path) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'x-api-key': server.key, 'tus-resumable': '1.0.0', 'upload-length': '1' },
      ...(method === 'PUT' ? { body: 'hello' } : {}),
    });
    expect(res.status).toBe(400);
    if (method !== 'HEAD') {
      const body = (await res.json()) as { detail: string; code: string };
      expect(body).toMatchObject({ code: 'INVALID_INPUT', detail: 'invalid query: unknown query parameter "colour"' });
    }
  });

  it('still answers a signed URL (its expires and signature are the parameters it takes)', async () => {
    const share = await c.call('POST', `/files/${sha256Of('hello')}/share`, {});
    const res = await fetch(`${server.url}${share.json.url}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
    expect((await fetch(`${server.url}${share.json.url}&colour=1`)).status).toBe(400);
  });

  it.each(['', '1e2', '0x10', '%20100', '+5', '1.0', '-1', '10%20', '１０'])(
    'GET /files?limit=%s: numbers in a query are decimal digits, the message names the parameter',
    async (value) => {
      const res = await c.call('GET', `/files?limit=${value}`);
      expect(res.status).toBe(400);
      expect(res.json.detail).toBe(
        'invalid query: limit: limit must be a whole number written in decimal digits (1 to 1000)',
      );
    },
  );

  it('GET /files?limit: the range is named too; digits are read as decimal', async () => {
    expect((await c.call('GET', '/files?limit=0')).json.detail).toBe('invalid query: limit: limit must be at least 1');
    expect((await c.call('GET', '/files?limit=1001')).json.detail).toBe(
      'invalid query: limit: limit must be at most 1000',
    );
    expect((await c.call('GET', '/files?limit=1&limit=2')).json.detail).toBe(
      'invalid query: limit: limit must be given once, as decimal digits',
    );
    const page = await c.call('GET', '/files?limit=010');
    expect(page.status).toBe(200);
    expect(page.json.items).toHaveLength(1);
  });

  it('refuses a record of size 0 whose hash is not that of empty content, and the reverse, naming why', async () => {
    const zero = await c.call('POST', '/put_file', fileRecord({ filepath: '/z', sha256: sha256Of('x'), file_size: 0 }));
    expect(zero.status).toBe(400);
    expect(zero.json.detail).toContain('file_size: file_size is 0 but sha256 is not that of empty content');
    const five = await c.call('POST', '/put_file', fileRecord({ filepath: '/e', sha256: EMPTY, file_size: 5 }));
    expect(five.status).toBe(400);
    expect(five.json.detail).toContain('file_size: sha256 is that of empty content but file_size is 5, not 0');
    expect((await c.call('GET', `/get_file/${sha256Of('x')}`)).status).toBe(404);
    expect((await c.call('GET', `/get_file/${EMPTY}`)).status).toBe(404);

    const batch = await c.call('POST', '/put_files', {
      files: [fileRecord({ filepath: '/ok' }), fileRecord({ filepath: '/e', sha256: EMPTY, file_size: 5 })],
    });
    expect(batch.status).toBe(400);
    expect(batch.json.record).toBe(1);
    expect(batch.json.detail).toContain('invalid record files[1]: file_size: sha256 is that of empty content');

    const empty = await c.call('POST', '/put_file', fileRecord({ filepath: '/e', sha256: EMPTY, file_size: 0 }));
    expect(empty.status).toBe(201);
    expect(empty.json).toMatchObject({ has_file_content: true, upload_required: false, upload_url: null });
  });

  it('tus HEAD answers Upload-Metadata exactly as given at creation', async () => {
    const sha = sha256Of('tus');
    const given = `sha256 ${Buffer.from(sha).toString('base64')},filename cmVwb3J0LnBkZg==,is_confidential`;
    const tus = { 'x-api-key': server.key, 'tus-resumable': '1.0.0' };
    const created = await fetch(`${server.url}/tus`, {
      method: 'POST',
      headers: { ...tus, 'upload-length': '3', 'upload-metadata': given },
    });
    expect(created.status).toBe(201);
    const head = await fetch(`${server.url}${created.headers.get('location')}`, { method: 'HEAD', headers: tus });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-metadata')).toBe(given);
    expect(head.headers.get('upload-offset')).toBe('0');
  });
});
