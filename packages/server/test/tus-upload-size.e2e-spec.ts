// A tus upload (POST /tus) whose Upload-Length no file record of its hash declares is refused at creation (400,
// naming both sizes; the rule PUT /files/{sha256}/content applies to the bytes), before any byte is sent; a hash with
// no records is taken as before. A real server over a real local content folder, over real HTTP.
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
});
