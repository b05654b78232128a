import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { DROPBOX_TOKEN, FAL_KEY, HARNESSES, type Harness } from './fakes/index.js';

// The fakes are only worth something if they refuse what the real services refuse: a provider sending the wrong
// field name, reqtype, auth or content type must fail against them.
const fakes: Record<string, Harness> = {};
beforeAll(async () => {
  for (const id of Object.keys(HARNESSES)) fakes[id] = await HARNESSES[id]!();
});
afterAll(async () => {
  await Promise.all(Object.values(fakes).map((h) => h.stop()));
});

function form(fields: Record<string, string>, fileField?: string, name = 'a.txt'): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  if (fileField) data.append(fileField, new Blob(['hello']), name);
  return data;
}

async function post(
  url: string,
  body: FormData,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text() };
}

const url = (id: string, path: string) => `${fakes[id]!.fake.url}${path}`;

describe('fakes refuse malformed requests', () => {
  it('catbox: reqtype and the fileToUpload field are required', async () => {
    expect((await post(url('catbox', '/user/api.php'), form({}, 'fileToUpload'))).status).toBe(400);
    expect((await post(url('catbox', '/user/api.php'), form({ reqtype: 'fileupload' }, 'file'))).status).toBe(400);
    const ok = await post(url('catbox', '/user/api.php'), form({ reqtype: 'fileupload' }, 'fileToUpload'));
    expect(ok.status).toBe(200);
    expect(ok.text.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]+\.txt$/);
  });

  it('litterbox: time must be one of 1h/12h/24h/72h', async () => {
    expect(
      (
        await post(
          url('litterbox', '/resources/internals/api.php'),
          form({ reqtype: 'fileupload', time: '2h' }, 'fileToUpload'),
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await post(
          url('litterbox', '/resources/internals/api.php'),
          form({ reqtype: 'fileupload', time: '1h' }, 'fileToUpload'),
        )
      ).status,
    ).toBe(200);
  });

  it('0x0: refuses some user agents and a missing file field', async () => {
    expect((await post(url('0x0', '/'), form({}, 'file'), { 'user-agent': 'python-requests/2.31' })).status).toBe(403);
    expect((await post(url('0x0', '/'), form({}, 'upload'))).status).toBe(400);
  });

  it('uguu, tmpfiles, tmpfilelink, x0at: the file field name matters', async () => {
    expect((await post(url('uguu', '/upload'), form({}, 'file'))).status).toBe(400);
    expect((await post(url('tmpfiles', '/api/v1/upload'), form({}, 'files[]'))).status).toBe(422);
    expect((await post(url('tmpfilelink', '/api/upload'), form({}, 'upload'))).status).toBe(400);
    expect((await post(url('x0at', '/'), form({}, 'files'))).status).toBe(400);
  });

  it('raw PUT services need a Content-Length that matches the body', async () => {
    for (const [id, path] of [
      ['sendit', '/a.txt'],
      ['tempsh', '/a.txt'],
      ['filebin', '/binbinbinbin/a.txt'],
    ] as const) {
      const res = await request(url(id, path), { method: 'PUT', body: Readable.from([Buffer.from('chunked')]) });
      await res.body.dump();
      expect({ id, refused: res.statusCode >= 400 }).toEqual({ id, refused: true });
    }
  });

  it('pixeldrain: anonymous uploads are 401', async () => {
    const res = await request(url('pixeldrain', '/api/file/a.txt'), {
      method: 'PUT',
      body: 'x',
      headers: { 'content-length': '1' },
    });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
  });

  it('fal: key, storage_type and matching content type are required', async () => {
    const initiate = (query: string, key = FAL_KEY) =>
      fetch(url('fal', `/storage/upload/initiate${query}`), {
        method: 'POST',
        headers: { authorization: `Key ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ file_name: 'a.txt', content_type: 'text/plain' }),
      });
    expect((await initiate('?storage_type=fal-cdn-v3', 'wrong')).status).toBe(401);
    expect((await initiate('')).status).toBe(400);
    const ok = (await (await initiate('?storage_type=fal-cdn-v3')).json()) as { upload_url: string };
    const wrongType = await fetch(ok.upload_url, {
      method: 'PUT',
      body: 'x',
      headers: { 'content-type': 'image/png' },
    });
    expect(wrongType.status).toBe(400);
  });

  it('dropbox: bearer token, octet-stream content type, Dropbox-API-Arg and session offsets are checked', async () => {
    const call = (path: string, headers: Record<string, string>, body = 'abc') =>
      fetch(url('dropbox', path), { method: 'POST', headers, body });
    const auth = { authorization: `Bearer ${DROPBOX_TOKEN}` };
    expect((await call('/2/files/upload', { authorization: 'Bearer nope' })).status).toBe(401);
    expect(
      (await call('/2/files/upload', { ...auth, 'content-type': 'text/plain', 'dropbox-api-arg': '{"path":"/a"}' }))
        .status,
    ).toBe(400);
    expect((await call('/2/files/upload', { ...auth, 'content-type': 'application/octet-stream' })).status).toBe(400);
    const start = await call('/2/files/upload_session/start', {
      ...auth,
      'content-type': 'application/octet-stream',
      'dropbox-api-arg': '{"close":false}',
    });
    const { session_id } = (await start.json()) as { session_id: string };
    const wrongOffset = await call('/2/files/upload_session/append_v2', {
      ...auth,
      'content-type': 'application/octet-stream',
      'dropbox-api-arg': JSON.stringify({ cursor: { session_id, offset: 1 }, close: false }),
    });
    expect(wrongOffset.status).toBe(409);
    expect(((await wrongOffset.json()) as { error: { correct_offset: number } }).error.correct_offset).toBe(3);
  });
});
