// The JSON endpoints take JSON only: a body of another Content-Type is 415 naming application/json, as text/plain
// already was, and nothing is done with the request. Before, a form body (`curl -d name=x`, Content-Type
// application/x-www-form-urlencoded) was parsed into fields (an API key was created from `-d name=formkey2`), JSON sent
// with curl's default form type got a confusing 400 (`unknown field "{\"files\":[]}"`), and a body of one of the
// types the upload routes stream (octet-stream, multipart, tus) was ignored, the request running as if it had none
// (a real `POST /admin/gc` for `{"dry_run":true}` sent as octet-stream). The upload routes still take those types.
// Real HTTP against a real server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const SHA = sha256Of('shared content');

/** Every route that takes a JSON body, with a valid body for it. */
const JSON_ROUTES: Array<[string, unknown]> = [
  ['/api_keys', { name: 'formkey2' }],
  ['/put_file', fileRecord({ hostname: 'form', filepath: '/by-form', sha256: SHA, file_size: 14 })],
  ['/put_files', { files: [fileRecord({ hostname: 'form', filepath: '/by-form-batch' })] }],
  ['/admin/gc', { dry_run: true }],
  ['/admin/verify', { repair: false }],
  [`/files/${SHA}/share`, { expires_in: 60 }],
];

/** Bodies of another type than JSON, as curl and other clients send them. */
const OTHER_BODIES: Array<[string, (json: unknown) => string]> = [
  ['application/x-www-form-urlencoded', () => 'name=formkey2&hostname=form&dry_run=true'],
  ['application/x-www-form-urlencoded', (json) => JSON.stringify(json)],
  ['application/octet-stream', (json) => JSON.stringify(json)],
  ['application/offset+octet-stream', (json) => JSON.stringify(json)],
  [
    'multipart/form-data; boundary=x',
    () => '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nformkey2\r\n--x--\r\n',
  ],
];

describe('JSON endpoints refuse bodies of other types with 415', () => {
  let server: TestServer;
  let c: TestClient;
  beforeAll(async () => {
    server = await startServer({ logLevels: [] });
    c = client(server.url, server.key);
  });
  afterAll(async () => server?.close());

  const cases = JSON_ROUTES.flatMap(([route, json]) =>
    OTHER_BODIES.map(([type, body]) => [route, type, body(json)] as const),
  );

  it.each(cases)('POST %s with Content-Type %s: 415 naming application/json', async (route, type, body) => {
    const res = await fetch(`${server.url}${route}`, {
      method: 'POST',
      headers: { 'x-api-key': server.key, 'content-type': type },
      body,
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({
      detail: 'unsupported Content-Type for this endpoint: send the JSON body with Content-Type: application/json',
      code: 'INVALID_INPUT',
      retryable: false,
    });
  });

  it('nothing was done: no key, no record, no gc run', async () => {
    expect((await server.store.listApiKeys()).map((key) => key.name)).not.toContain('formkey2');
    expect(await server.store.findFile('form', '/by-form')).toBeNull();
    expect(await server.store.findFile('form', '/by-form-batch')).toBeNull();
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { 'x-api-key': server.key } })).text();
    expect(metrics).not.toMatch(/route="\/admin\/gc",status="200"/);
  });

  it('the same routes take the JSON body', async () => {
    expect((await c.call('POST', '/api_keys', { name: 'jsonkey' })).status).toBe(201);
    expect((await c.call('POST', '/put_files', { files: [fileRecord({ hostname: 'json' })] })).status).toBe(200);
    expect((await c.call('POST', '/admin/gc', { dry_run: true })).status).toBe(200);
  });

  it('the upload routes still take their bodies: multipart upload_file (PutPlace), a raw PUT sent as a form', async () => {
    const data = 'shared content';
    const record = fileRecord({ hostname: 'up', filepath: '/up', sha256: SHA, file_size: data.length });
    expect((await c.call('POST', '/put_file', record)).status).toBeLessThan(300);
    const form = new FormData();
    form.append('file', new Blob([data]), 'up.txt');
    const q = new URLSearchParams({ hostname: 'up', filepath: '/up' });
    const multipart = await fetch(`${server.url}/upload_file/${SHA}?${q}`, {
      method: 'POST',
      headers: { 'x-api-key': server.key },
      body: form,
    });
    expect(multipart.status).toBeLessThan(300);
    const other = 'sent as a form';
    const raw = await fetch(`${server.url}/files/${sha256Of(other)}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/x-www-form-urlencoded' },
      body: other,
    });
    expect(raw.status).toBe(200);
  });
});
