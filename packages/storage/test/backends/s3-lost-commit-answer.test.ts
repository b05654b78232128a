// A conditional write (`ifNotExists`, `ufs cp -n`) whose answer is lost on the way back (a proxy on 127.0.0.1 resets
// the connection once radosgw has stored the object): the SDK sends the request again with If-None-Match: *, meets
// the object it just wrote and gets 412. That used to be ALREADY_EXISTS (exit 73) although the write succeeded. The
// object there is this write's own when it has the size and ETag (MD5, or the multipart form) of what was sent:
// success. Another writer's object keeps ALREADY_EXISTS.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { expectUfsError, generated, get, put } from '@org/storage-testing';
import definition from '../../src/backends/s3/index.js';
import { SentDigest } from '../../src/backends/s3/own-write.js';
import { replayableBytes } from '../../src/index.js';
import { lostAnswerProxy, type LostAnswerProxy } from '../lost-answer-proxy.js';
import { openUploads, s3Fixture } from '../services/s3.js';

const MiB = 1024 * 1024;
const { raw, bucket, connection, opened } = await s3Fixture('lostanswer');

let proxy: LostAnswerProxy;
/** The key whose next PutObject (not a part) loses its answer. */
let target = '';

beforeAll(async () => {
  proxy = await lostAnswerProxy(
    connection.endpoint,
    (req) => {
      const lose =
        req.method === 'PUT' &&
        target !== '' &&
        req.url === `/${bucket}/${target}?x-id=PutObject` && // not a part (x-id=UploadPart&partNumber=…)
        req.headers['if-none-match'] === '*';
      if (lose) target = ''; // once
      return lose;
    },
    Number.MAX_SAFE_INTEGER,
  );
});
afterAll(async () => {
  await proxy.close();
});

async function create(options: Record<string, unknown> = {}): Promise<StorageBackend> {
  const parsed = definition.options.parse({ bucket, ...connection, endpoint: proxy.url, ...options });
  const backend = await definition.create(parsed, { mountName: 'lost', env: {} });
  opened.push(backend);
  return backend;
}

/** The next conditional PutObject of `key` loses its answer (once). */
function loseNextPut(key: string): number {
  target = key;
  return proxy.lost;
}

describe('s3 conditional write whose answer is lost (radosgw behind a proxy)', () => {
  it('bytes (one PutObject): the retry meets its own object: success, the object is the one sent', async () => {
    const b = await create();
    const key = 'lost/bytes.txt';
    const before = loseNextPut(key);
    const progress: number[] = [];
    const result = await b.write(key, replayableBytes(Buffer.from('small text')), {
      ifNotExists: true,
      onProgress: (loaded) => progress.push(loaded),
    });
    expect(proxy.lost).toBe(before + 1);
    expect(proxy.seen.filter((line) => line === `PUT /${bucket}/${key}?x-id=PutObject`)).toHaveLength(2); // sent again by the SDK
    expect(result).toMatchObject({ key, size: 10, etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(progress.at(-1)).toBe(10);
    expect((await get(b, key)).toString()).toBe('small text');
  });

  it('a stream (lib-storage, one PutObject): success as well', async () => {
    const b = await create();
    const key = 'lost/stream.txt';
    const before = loseNextPut(key);
    const result = await b.write(key, Readable.from([Buffer.from('streamed '), Buffer.from('text')]), {
      ifNotExists: true,
    });
    expect(proxy.lost).toBe(before + 1);
    expect(result).toMatchObject({ key, size: 13 });
    expect((await get(b, key)).toString()).toBe('streamed text');
  });

  it('an object that was there before stays ALREADY_EXISTS, also when the answer of the refusal is lost', async () => {
    const b = await create();
    const key = 'lost/taken.txt';
    await put(b, key, 'the first writer');
    for (const source of [
      () => replayableBytes(Buffer.from('the second')),
      () => Readable.from([Buffer.from('the second')]),
    ]) {
      const before = loseNextPut(key);
      const error = await expectUfsError(b.write(key, source(), { ifNotExists: true }), 'ALREADY_EXISTS');
      expect(proxy.lost).toBe(before + 1);
      expect(error.message).toBe(
        `[ufs] [s3] write "lost:${key}": the object already exists (HTTP 412 PreconditionFailed)`,
      );
    }
    expect((await get(b, key)).toString()).toBe('the first writer');
  });

  it('the multipart ETag of what was sent is the one radosgw gives', async () => {
    const b = await create({ partSize: 5 * MiB, queueSize: 2 });
    const key = 'lost/multipart.bin';
    await b.write(key, generated(12 * MiB, 3), { ifNotExists: true });
    const digest = new SentDigest(5 * MiB);
    for await (const chunk of generated(12 * MiB, 3)) digest.update(chunk);
    const [single, multipart] = digest.etags();
    expect((await b.stat(key))?.etag).toBe(multipart);
    expect(single).toMatch(/^[0-9a-f]{32}$/);
    expect(await openUploads(raw, bucket, key)).toEqual([]);
  });
});
