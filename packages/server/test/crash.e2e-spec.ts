import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey } from '@org/core';
import { createBootstrapKey, SqliteStore, TUS_PREFIX } from '../src/index.js';
import { startChild, type ChildServer } from './helpers/child.js';
import { contentObjects } from './helpers/objects.js';
import { partialUpload, tusPatchHeaders } from './helpers/partial-upload.js';
import { client, fileRecord } from './helpers/records.js';
import { tusClient } from './helpers/tus.js';

const MiB = 1024 * 1024;

describe('a server killed mid-upload (SIGKILL) and restarted', () => {
  let dir: string;
  let key: string;
  let server: ChildServer;
  const data = randomBytes(24 * MiB);
  const sha = createHash('sha256').update(data).digest('hex');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-crash-'));
    server = await startChild(dir);
    const store = new SqliteStore({ path: join(dir, 'ufs.db') });
    key = (await createBootstrapKey(store)).apiKey;
    await store.close();
  });
  afterAll(async () => {
    await server?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves no partial content visible; the upload restarts (raw) and resumes (tus)', async () => {
    const c = client(server.url, key);
    await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'crash', filepath: '/big', sha256: sha, file_size: data.length }),
    );

    // tus: first chunk accepted, second chunk cut by the crash.
    const tus = tusClient(server.url, key);
    const { location } = await tus.create(sha, data.length);
    expect((await tus.patch(location!, 0, data.subarray(0, 8 * MiB))).status).toBe(204);
    const tusCut = partialUpload(
      server.url,
      location!,
      key,
      data.subarray(8 * MiB, 12 * MiB),
      16 * MiB,
      tusPatchHeaders(8 * MiB),
    );
    // A plain upload, cut halfway by the same crash.
    const rawCut = partialUpload(server.url, `/files/${sha}/content`, key, data.subarray(0, 12 * MiB), data.length, {
      'content-type': 'application/octet-stream',
    });
    await Promise.all([tusCut.sent, rawCut.sent]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.kill();
    await Promise.all([tusCut.ended, rawCut.ended]);

    const store = new SqliteStore({ path: join(dir, 'ufs.db') });
    expect(await store.getContent(sha)).toBeNull();
    expect(await contentObjects(join(dir, 'content'))).toEqual([]);
    await store.close();

    server = await startChild(dir);
    const after = client(server.url, key);
    expect((await after.call('GET', `/get_file/${sha}`)).json).toMatchObject({ has_file_content: false });
    expect((await after.call('GET', `/files/${sha}/content`)).status).toBe(404);

    const resumed = tusClient(server.url, key);
    const head = await resumed.head(location!);
    expect(head.offset).toBe(8 * MiB);
    expect((await resumed.patch(location!, head.offset, data.subarray(head.offset))).status).toBe(204);
    expect((await after.call('GET', `/get_file/${sha}`)).json).toMatchObject({ has_file_content: true });
    expect((await readFile(join(dir, 'content', contentKey(sha)))).equals(data)).toBe(true);

    const again = await fetch(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': key, 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(await again.json()).toMatchObject({ outcome: 'deduplicated' });
    const gc = await after.call('POST', '/admin/gc', {});
    expect(gc.status).toBe(200);
    expect(gc.json.deleted).toEqual([]);
  }, 300_000);

  it('stopped after the last tus byte arrived but before the commit: HEAD finishes the upload', async () => {
    // The state such a stop leaves (PATCH stored its part and advanced the offset to the length, then the process
    // died before the content was placed), made with the store's own primitives while the server is down.
    const bytes = randomBytes(3 * MiB + 17);
    const digest = createHash('sha256').update(bytes).digest('hex');
    await server.kill();
    const id = randomBytes(16).toString('hex');
    const part = { start: 0, size: bytes.length, key: `${TUS_PREFIX}/${id}/0.part` };
    await mkdir(dirname(join(dir, 'content', part.key)), { recursive: true });
    await writeFile(join(dir, 'content', part.key), bytes);
    const store = new SqliteStore({ path: join(dir, 'ufs.db') });
    const now = new Date();
    await store.insertUpload({
      id,
      sha256: digest,
      length: bytes.length,
      offset: bytes.length,
      parts: [part],
      metadata: {},
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + 3_600_000).toISOString(),
    });
    await store.close();

    server = await startChild(dir);
    const c = client(server.url, key);
    expect((await c.call('GET', `/files/${digest}/content`)).status).toBe(404);
    const tus = tusClient(server.url, key);
    const head = await tus.head(`/tus/${id}`);
    expect([head.status, head.offset]).toEqual([200, bytes.length]);
    // What the client is told is now true: the content is held, and the session is kept only as the marker of a
    // finished upload (no parts: the part object is gone), so the next HEAD answers the same without finishing again.
    expect((await readFile(join(dir, 'content', contentKey(digest)))).equals(bytes)).toBe(true);
    expect((await c.call('GET', `/files/${digest}/content`)).status).toBe(200);
    const again = await tus.head(`/tus/${id}`);
    expect([again.status, again.offset]).toEqual([200, bytes.length]);
    expect(again.headers.get('upload-length')).toBe(String(bytes.length));
    await expect(stat(join(dir, 'content', part.key))).rejects.toThrow();
  }, 300_000);
});
