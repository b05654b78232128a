// A hash fixes its size: a record whose file_size is not the size of the content held for its hash is wrong. put_file
// and put_files refuse it before writing anything (as an upload of another size is refused), and a record written
// with a wrong size before the content arrived is never marked as held. A real server over SQLite and a local folder.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

describe('records whose file_size contradicts the held content', () => {
  let server: TestServer;
  let c: TestClient;
  beforeAll(async () => {
    server = await startServer({ logLevels: ['error'] });
    c = client(server.url, server.key);
  });
  afterAll(async () => server?.close());

  /** Content of `text` held by the server, through a record of host `hostname`. */
  async function held(text: string, hostname: string): Promise<string> {
    const sha256 = sha256Of(text);
    const put = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname, filepath: '/ok', sha256, file_size: text.length }),
    );
    expect(put.status).toBe(201);
    expect((await c.upload(sha256, text, hostname, '/ok')).status).toBe(200);
    return sha256;
  }

  it('put_file of another size than the held content is 400 naming both sizes, and stores nothing', async () => {
    const sha256 = await held('hello3', 'hq');
    const liar = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'hq', filepath: '/liar', sha256, file_size: 123456789 }),
    );
    expect(liar.status).toBe(400);
    expect(liar.json).toMatchObject({ code: 'INVALID_INPUT', retryable: false });
    expect(liar.json.detail).toContain('declares file_size 123456789');
    expect(liar.json.detail).toContain(`the content of ${sha256} held here is 6 bytes; nothing was stored`);
    const listed = await c.call('GET', '/files?hostname=hq');
    expect(listed.json.items.map((r: { filepath: string }) => r.filepath)).toEqual(['/ok']);
    // The right size is taken, and marked held at once.
    const right = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'hq', filepath: '/liar', sha256, file_size: 6 }),
    );
    expect(right.status).toBe(201);
    expect(right.json).toMatchObject({ has_file_content: true, upload_required: false });
  });

  it('put_files with one such record is 400 naming it, and stores none of the batch', async () => {
    const sha256 = await held('batch content', 'hb');
    const good = fileRecord({ hostname: 'hb2', filepath: '/good', sha256: sha256Of('other'), file_size: 5 });
    const bad = fileRecord({ hostname: 'hb2', filepath: '/bad', sha256, file_size: 14 });
    const batch = await c.call('POST', '/put_files', { files: [good, bad] });
    expect(batch.status).toBe(400);
    expect(batch.json.detail).toContain('record files[1] (hb2:/bad) declares file_size 14');
    expect(batch.json.record).toBe(1);
    expect((await c.call('GET', '/files?hostname=hb2')).json.items).toEqual([]);
  });

  it('a record of a wrong size written before the content arrived is not marked held once it is', async () => {
    const text = 'arrives later';
    const sha256 = sha256Of(text);
    const early = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'hw', filepath: '/w', sha256, file_size: 99 }),
    );
    expect(early.status).toBe(201);
    expect(early.json).toMatchObject({ has_file_content: false, upload_required: true });
    // Its own upload is refused (the bytes are not 99), another host's record of the right size brings the content.
    expect((await c.upload(sha256, text, 'hw', '/w')).status).toBe(400);
    await held(text, 'hr');
    const listed = await c.call('GET', '/files?hostname=hw');
    expect(listed.json.items).toEqual([
      expect.objectContaining({ filepath: '/w', file_size: 99, has_file_content: false }),
    ]);
    const got = await c.call('GET', `/get_file/${sha256}`);
    expect(got.status).toBe(200);
    // The right record of that hash is held.
    const right = (await c.call('GET', '/files?hostname=hr')).json.items[0];
    expect(right).toMatchObject({ file_size: text.length, has_file_content: true });
  });
});
