// A failure of the server's own content mount is the server's: 500 (503 when it may pass, or when the mount refuses
// the server's access: the server cannot store now) with a generic detail, the
// whole error in the server log (stderr), never a client's 4xx (a 403 would read as "your key lacks a scope"). Real
// refusals: a content folder made immutable (chattr +i stops root too; plain permissions do not).
import { execFileSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { contentKey } from '@org/core';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

/** What must never reach a client: the mount's name and keys, paths, errno codes and texts. */
const INTERNALS = /content:|_tmp|_tus|\[local\]|\/tmp\/|EPERM|not permitted|[0-9a-f]{2}\/[0-9a-f]{64}/;

/** A mount refusing the server's writes: 503, the server cannot store now (until an operator fixes the mount). */
const SERVER_FAILED = { detail: 'the server cannot store content now', code: 'UNAVAILABLE', retryable: false };

/** The server's `ufs_bytes_in_total`. */
async function bytesInOf(server: TestServer): Promise<number> {
  const text = (await client(server.url, server.key).call('GET', '/metrics')).text;
  return Number(/^ufs_bytes_in_total (\d+)$/m.exec(text)![1]);
}

describe('the content mount refusing to write', () => {
  let server: TestServer;
  let c: TestClient;
  let root: string;
  const locked: string[] = [];
  let logged = '';

  /** Makes the folder of `sha`'s content key (or `name`) immutable: nothing can be created or removed in it. */
  const lock = async (sha: string, name = sha.slice(0, 2)) => {
    const folder = join(root, name);
    await mkdir(folder, { recursive: true });
    execFileSync('chattr', ['+i', folder]);
    locked.push(folder);
  };
  const unlock = () => {
    for (const folder of locked.splice(0)) execFileSync('chattr', ['-i', folder]);
  };
  /** A record of `data` on its own host, so each test has its own content (and content folder). */
  const record = async (data: string, host: string) => {
    const sha = sha256Of(data);
    const put = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: host, filepath: '/f', sha256: sha, file_size: data.length }),
    );
    expect(put.status).toBe(201);
    return sha;
  };
  const expectServerFailure = (res: { status: number; text: string }) => {
    expect({ status: res.status, body: JSON.parse(res.text) as unknown }).toEqual({ status: 503, body: SERVER_FAILED });
    expect(res.text).not.toMatch(INTERNALS);
  };

  beforeAll(async () => {
    server = await startServer({ gcGraceMs: 0 });
    c = client(server.url, server.key);
    root = join(server.dir, 'content');
    // The server log, kept for the assertions (and out of the test output).
    jest.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      logged += String(chunk);
      return true;
    }) as typeof process.stderr.write);
  });
  afterEach(() => {
    unlock();
    logged = '';
  });
  afterAll(async () => {
    unlock();
    jest.restoreAllMocks();
    await server?.close();
  });

  it('PUT /files/{sha}/content: 503 "the server cannot store content now", logged in full; the content can be sent again once the mount is fixed', async () => {
    const data = 'mount refuses the raw upload\n';
    const sha = await record(data, 'raw');
    await lock(sha);
    const res = await fetch(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: data,
    });
    expectServerFailure({ status: res.status, text: await res.text() });
    // The log has what happened: the operation, the key and the errno.
    expect(logged).toMatch(/UNAVAILABLE: \[ufs\] \[local\] write "content:[0-9a-f]{2}\/[0-9a-f]{64}".*\(EPERM\)/);
    expect(logged).toContain(sha);
    unlock();
    const again = await fetch(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(again.status).toBe(200);
    expect(await readFile(join(root, contentKey(sha)), 'utf8')).toBe(data);
  });

  it('POST /upload_file (multipart): 503, not 403 PERMISSION_DENIED', async () => {
    const data = 'mount refuses the multipart upload\n';
    const sha = await record(data, 'multipart');
    await lock(sha);
    const form = new FormData();
    form.append('file', new Blob([data]), 'f.txt');
    const res = await fetch(`${server.url}/upload_file/${sha}?hostname=multipart&filepath=/f`, {
      method: 'POST',
      headers: { 'x-api-key': server.key },
      body: form,
    });
    expectServerFailure({ status: res.status, text: await res.text() });
  });

  it('client mistakes keep their 4xx while the mount fails; a key without the scope is still 403', async () => {
    const data = 'the right bytes\n';
    const sha = await record(data, 'mistakes');
    await lock(sha);
    const send = (body: string, key = server.key) =>
      fetch(`${server.url}/files/${sha}/content`, {
        method: 'PUT',
        headers: { 'x-api-key': key, 'content-type': 'application/octet-stream' },
        body,
      });
    const mismatch = await send('other bytes\n');
    expect({ status: mismatch.status, code: ((await mismatch.json()) as { code: string }).code }).toEqual({
      status: 400,
      code: 'INTEGRITY',
    });
    const reader = await c.call('POST', '/api_keys', { name: 'reader', scopes: ['read'] });
    const refused = await send(data, reader.json.api_key as string);
    expect({ status: refused.status, code: ((await refused.json()) as { code: string }).code }).toEqual({
      status: 403,
      code: 'PERMISSION_DENIED',
    });
    const bad = await fetch(`${server.url}/files/not-a-hash/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(bad.status).toBe(400);
  });

  it('tus: the PATCH that completes the upload answers 503; HEAD finishes it once the mount is fixed', async () => {
    const data = 'mount refuses the tus upload\n';
    const sha = await record(data, 'tus');
    const tus = tusClient(server.url, server.key);
    const created = await tus.create(sha, data.length);
    expect(created.status).toBe(201);
    await lock(sha);
    const patched = await tus.patch(created.location!, 0, data);
    expectServerFailure({ status: patched.status, text: patched.text });
    unlock();
    expect(await tus.head(created.location!)).toMatchObject({ status: 200, offset: data.length });
    expect(await readFile(join(root, contentKey(sha)), 'utf8')).toBe(data);
  });

  it('tus: a PATCH whose part the mount refuses is 503 and counts no bytes; its retry counts them once', async () => {
    const data = 'a chunk the mount refuses\n';
    const sha = await record(data, 'tus-part');
    const tus = tusClient(server.url, server.key);
    const { location } = await tus.create(sha, data.length);
    const before = await bytesInOf(server);
    await lock(sha, '_tus');
    const refused = await tus.patch(location!, 0, data);
    expectServerFailure({ status: refused.status, text: refused.text });
    expect(await bytesInOf(server)).toBe(before);
    unlock();
    expect(await tus.patch(location!, 0, data)).toMatchObject({ status: 204, offset: data.length });
    expect(await bytesInOf(server)).toBe(before + data.length);
  });

  it('gc: a content object the mount will not delete is 503, not 403', async () => {
    const data = 'gc cannot remove this\n';
    const sha = await record(data, 'gc');
    const put = await fetch(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(put.status).toBe(200);
    const listed = await c.call('GET', `/files?sha256=${sha}`);
    expect((await c.call('DELETE', `/files/${listed.json.items[0]._id as string}`)).status).toBe(200);
    await lock(sha);
    expectServerFailure(await c.call('POST', '/admin/gc', { grace_seconds: 0 }));
  });
});

describe('ufs_bytes_in_total', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ maxUploadBytes: 1_000_000 });
  });
  afterAll(async () => server?.close());

  const bytesIn = () => bytesInOf(server);

  it('counts the bytes tus PATCHes store, once: not a refused chunk, not a PATCH that lost', async () => {
    const data = Buffer.from('counted once '.repeat(1000));
    const sha = sha256Of(data);
    const tus = tusClient(server.url, server.key);
    const { location } = await tus.create(sha, data.length);
    const before = await bytesIn();
    const half = 5000;
    // A chunk whose checksum does not match stores nothing; its retry stores it.
    const wrong = await tus.patch(location!, 0, data.subarray(0, half), {
      'upload-checksum': `sha1 ${Buffer.alloc(20).toString('base64')}`,
    });
    expect(wrong.status).toBe(460);
    expect(await bytesIn()).toBe(before);
    expect(await tus.patch(location!, 0, data.subarray(0, half))).toMatchObject({ status: 204, offset: half });
    // A PATCH at a stale offset is refused before its body is stored.
    expect((await tus.patch(location!, 0, data.subarray(0, half))).status).toBe(409);
    expect(await bytesIn()).toBe(before + half);
    expect(await tus.patch(location!, half, data.subarray(half))).toMatchObject({
      status: 204,
      offset: data.length,
    });
    // Finishing the upload (hashing and placing its parts) receives nothing more.
    expect(await bytesIn()).toBe(before + data.length);
    // As a raw PUT of the same length counts.
    const other = Buffer.from('counted as a PUT '.repeat(100));
    const put = await fetch(`${server.url}/files/${sha256Of(other)}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: other,
    });
    expect(put.status).toBe(200);
    expect(await bytesIn()).toBe(before + data.length + other.length);
  });
});
