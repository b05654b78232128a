import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey, sleep } from '@org/core';
import { contentObjects, filesUnder } from './helpers/objects.js';
import { partialUpload, tusPatchHeaders } from './helpers/partial-upload.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('tus 1.0 resumable uploads (sessions in the store)', () => {
  let server: TestServer;
  let tus: ReturnType<typeof tusClient>;
  beforeAll(async () => {
    server = await startServer({ maxUploadBytes: 1_000_000 });
    tus = tusClient(server.url, server.key);
  });
  afterAll(async () => server?.close());

  it('OPTIONS announces version, extensions and checksum algorithms', async () => {
    const res = await fetch(`${server.url}/tus`, { method: 'OPTIONS', headers: { 'x-api-key': server.key } });
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-version')).toBe('1.0.0');
    expect(res.headers.get('tus-extension')).toBe('creation,termination,checksum,expiration');
    expect(res.headers.get('tus-checksum-algorithm')).toContain('sha1');
    expect(res.headers.get('tus-max-size')).toBe('1000000');
  });

  it('creation, HEAD offset, chunked PATCH with checksums, completion marks the records', async () => {
    const data = Buffer.from('resumable '.repeat(5000));
    const sha = sha256Of(data);
    const c = client(server.url, server.key);
    await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'tus', filepath: '/big', sha256: sha, file_size: data.length }),
    );
    const created = await tus.create(sha, data.length, { filename: 'big.bin' });
    expect(created.status).toBe(201);
    expect(created.location).toMatch(/^\/tus\/[0-9a-f]{32}$/);
    const location = created.location!;
    expect(await tus.head(location)).toMatchObject({ status: 200, offset: 0 });
    let offset = 0;
    for (const size of [10_000, 20_000, 20_000]) {
      const chunk = data.subarray(offset, offset + size);
      const checksum = `sha1 ${createHash('sha1').update(chunk).digest('base64')}`;
      const res = await tus.patch(location, offset, chunk, { 'upload-checksum': checksum });
      expect(res.status).toBe(204);
      offset = res.offset;
      if (offset < data.length) expect((await tus.head(location)).offset).toBe(offset);
    }
    expect(offset).toBe(data.length);
    // The finished upload stays answerable until it expires: a client that lost the last answer sees it complete.
    const done = await tus.head(location);
    expect(done).toMatchObject({ status: 200, offset: data.length });
    expect(done.headers.get('upload-length')).toBe(String(data.length));
    expect((await c.call('GET', `/get_file/${sha}`)).json.has_file_content).toBe(true);
    expect(await readFile(join(server.dir, 'content', contentKey(sha)))).toEqual(data);
    expect(
      (await filesUnder(join(server.dir, 'content'))).filter((p) => p.startsWith('_tus') || p.startsWith('_tmp')),
    ).toEqual([]);
  });

  it('rejects a chunk with a wrong checksum (460) and keeps the offset', async () => {
    const data = 'checksummed content';
    const created = await tus.create(sha256Of(data), data.length);
    const bad = await tus.patch(created.location!, 0, data, {
      'upload-checksum': `sha1 ${createHash('sha1').update('other').digest('base64')}`,
    });
    expect(bad.status).toBe(460);
    expect((await tus.head(created.location!)).offset).toBe(0);
    expect((await tus.patch(created.location!, 0, data, { 'upload-checksum': 'crc32 AAAA' })).status).toBe(400);
    expect((await tus.patch(created.location!, 0, data)).status).toBe(204);
  });

  it('409 on an offset mismatch; one of two PATCHes racing at one offset wins', async () => {
    const data = 'a'.repeat(1000) + 'b'.repeat(1000);
    const sha = sha256Of(data);
    const { location } = await tus.create(sha, data.length);
    expect((await tus.patch(location!, 5, 'x')).status).toBe(409);
    const racing = await Promise.all([
      tus.patch(location!, 0, data.slice(0, 1000)),
      tus.patch(location!, 0, data.slice(0, 1000)),
    ]);
    expect(racing.map((r) => r.status).sort()).toEqual([204, 409]);
    expect((await tus.head(location!)).offset).toBe(1000);
    expect((await tus.patch(location!, 1000, data.slice(1000))).status).toBe(204);
    expect((await contentObjects(join(server.dir, 'content'))).some((p) => p.endsWith(sha))).toBe(true);
  });

  it('a completed upload whose bytes do not match the declared sha256 stores nothing', async () => {
    const sha = sha256Of('declared');
    const { location } = await tus.create(sha, 8);
    const res = await tus.patch(location!, 0, 'actually');
    expect(res.status).toBe(460);
    expect(JSON.parse(res.text).detail).toMatch(/mismatch/);
    expect(await server.store.getContent(sha)).toBeNull();
    // Failed verification removes the upload: nothing to resume.
    expect((await tus.head(location!)).status).toBe(404);
  });

  it('a PATCH cut short by its client keeps the bytes that arrived; the upload resumes from there', async () => {
    const data = randomBytes(600_000);
    const sha = sha256Of(data);
    const { location } = await tus.create(sha, data.length);
    const cut = partialUpload(server.url, location!, server.key, data.subarray(0, 250_000), data.length, {
      ...tusPatchHeaders(0),
    });
    await cut.sent;
    await sleep(200);
    cut.cut();
    await cut.ended;
    let offset = 0;
    for (let i = 0; i < 100 && offset === 0; i++) {
      offset = (await tus.head(location!)).offset;
      if (offset === 0) await sleep(20);
    }
    expect(offset).toBe(250_000);
    const rest = await tus.patch(location!, offset, data.subarray(offset));
    expect(rest).toMatchObject({ status: 204, offset: data.length });
    expect(await readFile(join(server.dir, 'content', contentKey(sha)))).toEqual(data);
    expect((await filesUnder(join(server.dir, 'content'))).filter((p) => p.startsWith('_tus'))).toEqual([]);
  });

  it('a cut-short PATCH with an Upload-Checksum keeps nothing (a part of it cannot match)', async () => {
    const data = randomBytes(600_000);
    const { location } = await tus.create(sha256Of(data), data.length);
    const checksum = `sha1 ${createHash('sha1').update(data).digest('base64')}`;
    const cut = partialUpload(
      server.url,
      location!,
      server.key,
      data.subarray(0, 250_000),
      data.length,
      tusPatchHeaders(0, { 'upload-checksum': checksum }),
    );
    await cut.sent;
    await sleep(200);
    cut.cut();
    await cut.ended;
    await sleep(300);
    expect((await tus.head(location!)).offset).toBe(0);
    expect((await filesUnder(join(server.dir, 'content'))).filter((p) => p.includes(location!.slice(5)))).toEqual([]);
    expect((await tus.patch(location!, 0, data, { 'upload-checksum': checksum })).status).toBe(204);
  });

  it('one request finishes an upload: others answer 503 with Retry-After while it holds the lease, a dead one is taken over', async () => {
    const data = randomBytes(300_000);
    const sha = sha256Of(data);
    const { location } = await tus.create(sha, data.length);
    const id = location!.slice('/tus/'.length);
    expect((await tus.patch(location!, 0, data.subarray(0, 100_000))).status).toBe(204);
    // Another request (on any replica) is finishing this upload: it holds the lease.
    const now = new Date();
    expect(await server.store.claimLease(`tus-finish:${id}`, 'other', new Date(now.getTime() + 60_000), now)).toBe(
      true,
    );
    const last = await tus.patch(location!, 100_000, data.subarray(100_000));
    expect(last.status).toBe(503);
    // A 503 this server means for its clients keeps its detail (other 5xx details are generic).
    expect(JSON.parse(last.text)).toMatchObject({
      code: 'UNAVAILABLE',
      detail: expect.stringMatching(/being finished by another request; retry$/),
    });
    const head = await tus.head(location!);
    expect(head.status).toBe(503);
    expect(head.headers.get('retry-after')).toBe('1');
    expect(await server.store.getContent(sha)).toBeNull();
    // The holder died: its lease expires, and the next HEAD takes it over and finishes the upload.
    await server.store.releaseLease(`tus-finish:${id}`, 'other');
    const past = new Date(Date.now() - 120_000);
    expect(await server.store.claimLease(`tus-finish:${id}`, 'dead', new Date(past.getTime() + 60_000), past)).toBe(
      true,
    );
    expect(await tus.head(location!)).toMatchObject({ status: 200, offset: data.length });
    expect(await readFile(join(server.dir, 'content', contentKey(sha)))).toEqual(data);
    expect((await server.store.getContent(sha))?.state).toBe('present');
    // Finished once: the next HEAD answers the completed upload without finishing it again.
    expect(await tus.head(location!)).toMatchObject({ status: 200, offset: data.length });
    expect((await filesUnder(join(server.dir, 'content'))).filter((p) => p.includes(id))).toEqual([]);
    expect(await exists(join(server.dir, 'content', '_tus', id))).toBe(false);
  });

  it('termination removes the session and its parts', async () => {
    const { location } = await tus.create(sha256Of('xyz123'), 6);
    expect((await tus.patch(location!, 0, 'xyz')).status).toBe(204);
    expect(await tus.terminate(location!)).toBe(204);
    expect((await tus.head(location!)).status).toBe(404);
    expect(await tus.terminate(location!)).toBe(404);
    expect((await filesUnder(join(server.dir, 'content'))).filter((p) => p.startsWith('_tus'))).toEqual([]);
    // No empty folder of the upload is left in the local mount either.
    expect(await exists(join(server.dir, 'content', '_tus', location!.slice('/tus/'.length)))).toBe(false);
  });

  it('terminating a finished upload removes its marker only: the content stays held', async () => {
    const data = 'finished, then terminated';
    const sha = sha256Of(data);
    const { location } = await tus.create(sha, data.length);
    expect((await tus.patch(location!, 0, data)).status).toBe(204);
    expect(await tus.head(location!)).toMatchObject({ status: 200, offset: data.length });
    // A repeated last PATCH (its answer was lost) at the final offset answers the offset, nothing is stored again.
    expect(await tus.patch(location!, data.length, '')).toMatchObject({ status: 204, offset: data.length });
    // One that announces bytes there is refused: the upload lacks none.
    const extra = await tus.patch(location!, data.length, 'more');
    expect(extra.status).toBe(413);
    expect(JSON.parse(extra.text)).toMatchObject({
      code: 'TOO_LARGE',
      detail: expect.stringMatching(/Content-Length 4\) is larger than the 0 bytes the upload lacks/),
    });
    expect(await tus.terminate(location!)).toBe(204);
    expect((await tus.head(location!)).status).toBe(404);
    expect(await readFile(join(server.dir, 'content', contentKey(sha)), 'utf8')).toBe(data);
    expect(await exists(join(server.dir, 'content', '_tus', location!.slice('/tus/'.length)))).toBe(false);
  });

  it('refuses bad creations and oversize bodies', async () => {
    expect((await tus.create('nothex', 10)).status).toBe(400);
    expect((await tus.create(sha256Of('x'), 2_000_000)).status).toBe(413);
    const noVersion = await fetch(`${server.url}/tus`, {
      method: 'POST',
      headers: { 'x-api-key': server.key, 'upload-length': '3' },
    });
    expect(noVersion.status).toBe(412);
    const { location } = await tus.create(sha256Of('abc'), 3);
    expect((await tus.patch(location!, 0, 'abcdef')).status).toBe(413);
    expect((await tus.head(location!)).offset).toBe(0);
  });
});

describe('tus: a finished upload is answered until it expires, then gc removes its marker', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ uploadExpiryMs: 1500 });
  });
  afterAll(async () => server?.close());

  it('HEAD is 200 with Upload-Offset = Upload-Length, 404 once expired; gc deletes the session', async () => {
    const tus = tusClient(server.url, server.key);
    const data = 'expiring marker';
    const sha = sha256Of(data);
    const { location } = await tus.create(sha, data.length);
    const id = location!.slice('/tus/'.length);
    expect((await tus.patch(location!, 0, data)).status).toBe(204);
    const head = await tus.head(location!);
    expect([head.status, head.offset, head.headers.get('upload-length')]).toEqual([
      200,
      data.length,
      String(data.length),
    ]);
    expect(await server.store.getUpload(id)).toMatchObject({ offset: data.length, length: data.length, parts: [] });
    await sleep(1700);
    expect((await tus.head(location!)).status).toBe(404);
    const gc = await client(server.url, server.key).call('POST', '/admin/gc', {});
    expect(gc.status).toBe(200);
    expect(gc.json.expiredUploads).toBeGreaterThanOrEqual(1);
    expect(await server.store.getUpload(id)).toBeNull();
    // The content is held still.
    expect(await readFile(join(server.dir, 'content', contentKey(sha)), 'utf8')).toBe(data);
    expect(await exists(join(server.dir, 'content', '_tus', id))).toBe(false);
  });
});
