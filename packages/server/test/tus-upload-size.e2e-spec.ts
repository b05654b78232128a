// A tus upload (POST /tus) whose Upload-Length no file record of its hash declares is refused at creation (400,
// naming both sizes; the rule PUT /files/{sha256}/content applies to the bytes), before any byte is sent; a hash with
// no records is taken as before. The same rule again when the last byte arrives (a record of another size may have
// been added since the creation): 400 as PUT answers, nothing stored, the upload gone. A real server over a real
// local content folder, over real HTTP.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { filesUnder } from './helpers/objects.js';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient, type TusClient } from './helpers/tus.js';

describe('tus creation against the file sizes of the records of the hash', () => {
  let server: TestServer;
  let c: TestClient;
  let tus: TusClient;
  /** Everything in the content folder: no session leaves a part object or a content object behind a refusal. */
  const stored = async () => filesUnder(join(server.dir, 'content'));
  beforeAll(async () => {
    server = await startServer({ logLevels: ['error'] });
    c = client(server.url, server.key);
    tus = tusClient(server.url, server.key);
  });
  afterAll(async () => server?.close());

  it('400 naming both sizes when every record declares another file_size; created once one declares it', async () => {
    const bytes = 'tus eight';
    const sha = sha256Of(bytes);
    await c.call('POST', '/put_file', fileRecord({ hostname: 'tz', filepath: '/r', sha256: sha, file_size: 20 }));
    await c.call('POST', '/put_file', fileRecord({ hostname: 'tz', filepath: '/r2', sha256: sha, file_size: 21 }));
    const before = await stored();

    const refused = await tus.create(sha, bytes.length);
    expect(refused.status).toBe(400);
    expect(refused.location).toBeNull();
    const body = JSON.parse(refused.body) as { code: string; detail: string };
    expect(body.code).toBe('INVALID_INPUT');
    expect(body.detail).toContain(`the upload's Upload-Length is ${bytes.length} bytes`);
    expect(body.detail).toContain(`the file records of ${sha} declare file_size 20 (tz:/r)`);
    expect(await stored()).toEqual(before);
    expect(await server.store.getContent(sha)).toBeNull();

    // One record of the hash with that size is enough: the upload is created and completes.
    await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'tz', filepath: '/r3', sha256: sha, file_size: bytes.length }),
    );
    const created = await tus.create(sha, bytes.length);
    expect(created.status).toBe(201);
    expect((await tus.patch(created.location!, 0, bytes)).status).toBe(204);
    expect((await server.store.getContent(sha))?.state).toBe('present');
  });

  it('a hash with no records: created and completed as before', async () => {
    const bytes = 'no record names this content';
    const sha = sha256Of(bytes);
    const created = await tus.create(sha, bytes.length);
    expect(created.status).toBe(201);
    expect((await tus.patch(created.location!, 0, bytes)).status).toBe(204);
    expect((await server.store.getContent(sha))?.state).toBe('present');
  });

  it('the last PATCH: 400 as PUT answers when a record of another size came after the creation; nothing stored', async () => {
    const bytes = 'added after creation';
    const sha = sha256Of(bytes);
    const created = await tus.create(sha, bytes.length);
    expect(created.status).toBe(201);
    const before = await stored();
    await c.call('POST', '/put_file', fileRecord({ hostname: 'tz', filepath: '/late', sha256: sha, file_size: 99 }));

    const last = await tus.patch(created.location!, 0, bytes);
    expect(last.status).toBe(400);
    const body = JSON.parse(last.text) as { code: string; detail: string };
    expect(body.code).toBe('INVALID_INPUT');
    // PUT /files/{sha256}/content of the same bytes is refused with the same words.
    const put = await fetch(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(put.status).toBe(400);
    expect(body.detail).toBe(((await put.json()) as { detail: string }).detail);
    expect(body.detail).toContain(`the uploaded content is ${bytes.length} bytes`);
    expect(body.detail).toContain(`the file records of ${sha} declare file_size 99 (tz:/late)`);
    // Nothing stored, no part left; the upload is gone (HEAD 404: a tus client does not take it as complete), and
    // creating it again is refused at once while the records stay as they are.
    expect(await stored()).toEqual(before);
    expect(await server.store.getContent(sha)).toBeNull();
    expect((await tus.head(created.location!)).status).toBe(404);
    expect((await tus.patch(created.location!, 0, bytes)).status).toBe(404);
    expect((await tus.create(sha, bytes.length)).status).toBe(400);
  });

  it('chunks: the PATCH with the last byte is refused, one before it is taken; a HEAD finishes by the same rule', async () => {
    const bytes = 'two chunks, then a record';
    const sha = sha256Of(bytes);
    const created = await tus.create(sha, bytes.length);
    const before = await stored();
    expect((await tus.patch(created.location!, 0, bytes.slice(0, 10))).status).toBe(204);
    await c.call('POST', '/put_file', fileRecord({ hostname: 'tz', filepath: '/chunks', sha256: sha, file_size: 7 }));
    const last = await tus.patch(created.location!, 10, bytes.slice(10));
    expect(last.status).toBe(400);
    expect(last.text).toContain('declare file_size 7 (tz:/chunks)');
    expect(await stored()).toEqual(before);
    expect(await server.store.getContent(sha)).toBeNull();
    expect((await tus.head(created.location!)).status).toBe(404);

    // An upload whose every byte arrived but that was not committed (its server stopped while finishing it) is
    // finished by the next HEAD: with the same check, 400, and gone after.
    const other = 'every byte, not committed';
    const otherSha = sha256Of(other);
    const second = await tus.create(otherSha, other.length);
    const id = second.location!.split('/').pop()!;
    const lease = `tus-finish:${id}`;
    // Another request holds the finish (as a server that stopped while finishing would, until its lease expires).
    expect(await server.store.claimLease(lease, 'test', new Date(Date.now() + 60_000), new Date())).toBe(true);
    expect((await tus.patch(second.location!, 0, other)).status).toBe(503);
    await server.store.releaseLease(lease, 'test');
    await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'tz', filepath: '/head', sha256: otherSha, file_size: 3 }),
    );
    expect((await tus.head(second.location!)).status).toBe(400);
    expect((await tus.head(second.location!)).status).toBe(404);
    expect(await server.store.getContent(otherSha)).toBeNull();
    expect(await stored()).toEqual(before);
  });

  it('a record of the same size added meanwhile changes nothing: the upload completes', async () => {
    const bytes = 'a matching record came';
    const sha = sha256Of(bytes);
    const created = await tus.create(sha, bytes.length);
    await c.call('POST', '/put_file', fileRecord({ hostname: 'tz', filepath: '/same', sha256: sha, file_size: 22 }));
    expect((await tus.patch(created.location!, 0, bytes)).status).toBe(204);
    expect((await server.store.getContent(sha))?.state).toBe('present');
  });
});
