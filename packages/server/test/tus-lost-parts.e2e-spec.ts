// A tus upload whose stored bytes (its part objects in the content mount) are gone before it was finished: the
// client is told, in its terms, that the upload's bytes are gone and that it must start the upload again (404, as for
// an upload that does not exist: tus clients then create a new one), never the mount's internal keys. The state is
// real: a finish that failed because the content folder was immutable (chattr +i, which stops root too) leaves a
// session at offset = length with its parts, and the parts are then removed from the content folder.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { contentKey } from '@org/core';
import { TUS_PREFIX } from '../src/content/content-store.js';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient, type TusClient } from './helpers/tus.js';

/** What must never reach a client: the mount's keys and paths, errno codes. */
const INTERNALS = /content:|_tmp|_tus|\[local\]|\/tmp\/|ENOENT|[0-9a-f]{2}\/[0-9a-f]{64}/;

describe('a tus upload whose stored parts are gone', () => {
  let server: TestServer;
  let c: TestClient;
  let tus: TusClient;
  let root: string;
  const locked: string[] = [];

  const lock = async (sha: string) => {
    const folder = join(root, sha.slice(0, 2));
    await mkdir(folder, { recursive: true });
    execFileSync('chattr', ['+i', folder]);
    locked.push(folder);
  };
  const unlock = () => {
    for (const folder of locked.splice(0)) execFileSync('chattr', ['-i', folder]);
  };

  /**
   * An upload of `data` sent in `chunks` PATCHes whose finish fails (the content folder is immutable: 503, the server cannot store now), then
   * whose part objects are removed; the content folder is writable again. Its location.
   */
  const uploadWithLostParts = async (data: string, host: string, chunks: number): Promise<string> => {
    const sha = sha256Of(data);
    expect(
      (
        await c.call(
          'POST',
          '/put_file',
          fileRecord({ hostname: host, filepath: '/f', sha256: sha, file_size: data.length }),
        )
      ).status,
    ).toBe(201);
    const { location } = await tus.create(sha, data.length);
    const size = Math.ceil(data.length / chunks);
    for (let offset = 0; offset < data.length; offset += size) {
      if (offset + size >= data.length) await lock(sha);
      const patched = await tus.patch(location!, offset, data.slice(offset, offset + size));
      expect(patched.status).toBe(offset + size >= data.length ? 503 : 204);
    }
    unlock();
    const parts = join(root, TUS_PREFIX, location!.split('/').pop()!);
    expect(await readdir(parts)).toHaveLength(chunks);
    await rm(parts, { recursive: true });
    return location!;
  };

  const expectGone = (res: { status: number; text: string }) => {
    expect(res.status).toBe(404);
    const body = JSON.parse(res.text) as { detail: string; code: string };
    expect(body).toEqual({
      detail: expect.stringMatching(/the bytes stored for this upload are gone; start the upload again/),
      code: 'NOT_FOUND',
      retryable: false,
    });
    expect(res.text).not.toMatch(INTERNALS);
  };

  beforeAll(async () => {
    server = await startServer();
    c = client(server.url, server.key);
    tus = tusClient(server.url, server.key);
    root = join(server.dir, 'content');
    // The server log (the failed finishes are logged as 503s), out of the test output.
    jest.spyOn(process.stderr, 'write').mockImplementation((() => true) as typeof process.stderr.write);
  });
  afterEach(unlock);
  afterAll(async () => {
    unlock();
    jest.restoreAllMocks();
    await server?.close();
  });

  it('one part: the PATCH that repeats the last byte says so, in user terms; the upload sent again is held', async () => {
    const data = 'a single-part upload whose part is gone\n';
    const location = await uploadWithLostParts(data, 'single', 1);
    // A client repeating its last PATCH (offset = length), as after a 503, finishes the upload: the part is gone.
    expectGone(await tus.patch(location, data.length, ''));
    // The session is gone with its bytes: HEAD says there is no such upload (a tus client then starts again).
    expect((await tus.head(location)).status).toBe(404);
    // Starting again works.
    const again = await tus.create(sha256Of(data), data.length);
    expect(await tus.patch(again.location!, 0, data)).toMatchObject({ status: 204, offset: data.length });
    expect(await readFile(join(root, contentKey(sha256Of(data))), 'utf8')).toBe(data);
  });

  it('one part: HEAD, which finishes an upload whose every byte arrived, says so too', async () => {
    const data = 'another single-part upload whose part is gone\n';
    const location = await uploadWithLostParts(data, 'single-head', 1);
    const head = await fetch(`${server.url}${location}`, {
      method: 'HEAD',
      headers: { 'x-api-key': server.key, 'tus-resumable': '1.0.0' },
    });
    expect(head.status).toBe(404);
    // HEAD has no body (the PATCH above shows what it says); the upload is gone with its bytes, and says only that.
    const patched = await tus.patch(location, data.length, '');
    expect(patched.status).toBe(404);
    expect(JSON.parse(patched.text)).toMatchObject({
      detail: `[tus] no upload "${location.split('/').pop()!}" (terminated, expired or failed verification)`,
    });
    expect(patched.text).not.toMatch(INTERNALS);
  });

  it('several parts: the same answer, not a 500', async () => {
    const data = 'a three-part upload whose parts are gone\n';
    const location = await uploadWithLostParts(data, 'multi', 3);
    expectGone(await tus.patch(location, data.length, ''));
    expect((await tus.head(location)).status).toBe(404);
  });
});
