import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey } from '@org/core';
import { createBootstrapKey, SqliteStore } from '../src/index.js';
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
});
