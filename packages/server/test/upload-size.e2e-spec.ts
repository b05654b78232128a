// Content whose size is not the file_size its record declares is refused (400, naming both sizes) and nothing new is
// stored: upload_file for its record, PUT /files/{sha256}/content for the records of its hash. A real server over a
// real local content folder.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentObjects } from './helpers/objects.js';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const EMPTY = sha256Of('');

describe('uploads of content of another size than the record declares', () => {
  let server: TestServer;
  let c: TestClient;
  /** Content objects and temporary objects in the content folder. */
  const stored = async () => contentObjects(join(server.dir, 'content'));
  beforeAll(async () => {
    server = await startServer({ logLevels: ['error'] });
    c = client(server.url, server.key);
  });
  afterAll(async () => server?.close());

  it('upload_file: 400 naming both sizes, nothing stored; the right size is then taken', async () => {
    const bytes = 'seven b';
    const sha = sha256Of(bytes);
    // A record whose hash is that of the bytes but whose size is not (a scanner that read a changing file).
    const record = fileRecord({ hostname: 'sz', filepath: '/a', sha256: sha, file_size: 9 });
    expect((await c.call('POST', '/put_file', record)).status).toBe(201);
    const before = await stored();
    const refused = await c.upload(sha, bytes, 'sz', '/a');
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ code: 'INVALID_INPUT' });
    expect(refused.json.detail).toContain('the uploaded content is 7 bytes');
    expect(refused.json.detail).toContain('the file record at sz:/a declares file_size 9');
    expect(await stored()).toEqual(before);
    expect((await server.store.getContent(sha))?.state).toBeUndefined();
    expect((await c.call('GET', `/get_file/${sha}`)).json.has_file_content).toBe(false);

    await c.call('POST', '/put_file', { ...record, file_size: bytes.length });
    const taken = await c.upload(sha, bytes, 'sz', '/a');
    expect(taken).toMatchObject({ status: 200, json: { file_size: 7, outcome: 'stored' } });
  });

  it('upload_file of empty content for a record of the empty hash that says file_size 5 (kept from before)', async () => {
    // put_file refuses such a record now; one stored before that is still in the catalogue.
    const legacy = {
      ...fileRecord({ hostname: 'sz', filepath: '/empty', sha256: EMPTY }),
      is_symlink: false,
      link_target: null,
    };
    await server.store.upsertFile(legacy, new Date());
    const refused = await c.upload(EMPTY, '', 'sz', '/empty');
    expect(refused.status).toBe(400);
    expect(refused.json.detail).toContain('the uploaded content is 0 bytes');
    expect(refused.json.detail).toContain('declares file_size 5');
    expect(refused.json).not.toMatchObject({ message: 'File uploaded successfully' });
    expect(await server.store.getContent(EMPTY)).toBeNull();
  });

  it('upload_file of content already held: still 400 when the record says another size', async () => {
    const bytes = 'held already';
    const sha = sha256Of(bytes);
    // Written before the content arrived (once it is held, put_file itself refuses such a record: record-size-held).
    await c.call('POST', '/put_file', fileRecord({ hostname: 'sz', filepath: '/held2', sha256: sha, file_size: 3 }));
    await c.call('POST', '/put_file', fileRecord({ hostname: 'sz', filepath: '/held', sha256: sha, file_size: 12 }));
    expect((await c.upload(sha, bytes, 'sz', '/held')).status).toBe(200);
    const refused = await c.upload(sha, bytes, 'sz', '/held2');
    expect(refused.status).toBe(400);
    expect(refused.json.detail).toContain('the uploaded content is 12 bytes but the file record at sz:/held2');
  });

  it('PUT /files/{sha256}/content: 400 when no record of the hash declares its size; taken when one does or none exists', async () => {
    const put = (sha: string, body: string) =>
      fetch(`${server.url}/files/${sha}/content`, { method: 'PUT', headers: { 'x-api-key': server.key }, body });
    const bytes = 'raw body';
    const sha = sha256Of(bytes);
    await c.call('POST', '/put_file', fileRecord({ hostname: 'sp', filepath: '/r', sha256: sha, file_size: 20 }));
    const before = await stored();
    const refused = await put(sha, bytes);
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { detail: string; code: string };
    expect(body.code).toBe('INVALID_INPUT');
    expect(body.detail).toContain('the uploaded content is 8 bytes');
    expect(body.detail).toContain(`the file records of ${sha} declare file_size 20 (sp:/r)`);
    expect(await stored()).toEqual(before);
    expect(await server.store.getContent(sha)).toBeNull();

    // One record of the hash with the right size is enough (the other's file_size is its own error).
    await c.call('POST', '/put_file', fileRecord({ hostname: 'sp', filepath: '/r2', sha256: sha, file_size: 8 }));
    expect((await put(sha, bytes)).status).toBe(200);
    // Content no record refers to is taken by its hash alone.
    const loose = 'no record for this';
    expect((await put(sha256Of(loose), loose)).status).toBe(200);
  });
});
