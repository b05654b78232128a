import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { normalizeKey, UfsError } from '@org/core';
import { describeBackendContract, expectUfsError, get, readAll } from '@org/storage-testing';
import definition, {
  dataUri,
  encodeKey,
  EMPTY_CONTENT_KEY,
  fromDataUri,
  keyFromDataUri,
} from '../../src/backends/base64/index.js';
import { loadBackend } from '../../src/registry.js';

/** Compares large buffers by digest: jest's toEqual walks them byte by byte (seconds per MB). */
const digest = (bytes: Buffer) => `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
const context = { mountName: 'inline', env: {} };
const create = async (raw: Record<string, unknown> = {}) => definition.create(definition.options.parse(raw), context);

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const text = Buffer.from('hello, inline world: content in the key');
const long = randomBytes(500);
const fixtures: Record<string, Buffer> = {
  [encodeKey(text)]: text,
  [encodeKey(allBytes)]: allBytes,
  [encodeKey(long)]: long,
  [EMPTY_CONTENT_KEY]: Buffer.alloc(0),
};

describeBackendContract('base64', { backend: await create(), fixtures });

describe('base64 backend', () => {
  it('round-trips every byte value, the empty content and 1 MB', async () => {
    const backend = await create();
    const big = randomBytes(1024 * 1024);
    for (const bytes of [
      allBytes,
      Buffer.alloc(0),
      big,
      Buffer.from([0]),
      Buffer.from([255, 255]),
      Buffer.from('abc'),
    ]) {
      const key = encodeKey(bytes);
      expect(digest(await get(backend, key))).toBe(digest(bytes));
      expect(await backend.stat(key)).toMatchObject({ isFile: true, isDir: false, size: bytes.length });
    }
    const bigKey = encodeKey(big);
    expect(await get(backend, bigKey, { start: 700_001, end: 700_010 })).toEqual(big.subarray(700_001, 700_011));
    expect(await get(backend, bigKey, { start: big.length - 1 })).toEqual(big.subarray(-1));
    expect(await get(backend, bigKey, { start: big.length + 5 })).toEqual(Buffer.alloc(0));
  });

  it('reads ranges at every alignment of the 3-byte groups', async () => {
    const backend = await create();
    const key = encodeKey(allBytes);
    for (let start = 0; start < 7; start++) {
      for (let end = start; end < start + 7; end++) {
        expect(await get(backend, key, { start, end })).toEqual(allBytes.subarray(start, end + 1));
      }
    }
  });

  it('cuts long keys into chunks that pass key normalisation, and joins them back', async () => {
    const backend = await create();
    const bytes = randomBytes(2000);
    const key = encodeKey(bytes);
    expect(key.split('/').every((chunk) => chunk.length <= 252)).toBe(true);
    expect(normalizeKey(key)).toBe(key);
    expect(await get(backend, key)).toEqual(bytes);
    expect(encodeKey(bytes, { chunkLength: 0 })).toBe(bytes.toString('base64url'));
    // Any cut works, padding is optional.
    const whole = Buffer.from('chunked').toString('base64');
    expect(await get(backend, `${whole.slice(0, 3)}/${whole.slice(3)}`)).toEqual(Buffer.from('chunked'));
  });

  it('treats strings that encode nothing as missing, and says why', async () => {
    const backend = await create();
    for (const key of ['a.txt', 'QR', 'A', 'QR==', 'SGk+', 'Zm9v=', 'a=b', '==']) {
      expect(await backend.stat(key)).toBeNull();
      const error = await expectUfsError(backend.read(key), 'NOT_FOUND');
      expect(error.message).toMatch(/^\[ufs\] \[base64\] read ".*": /);
    }
    expect(await get(backend, 'QQ==')).toEqual(Buffer.from('A'));
    expect(await get(backend, 'QQ')).toEqual(Buffer.from('A'));
  });

  it('reports the root as a folder and refuses to read it', async () => {
    const backend = await create();
    expect(await backend.stat('')).toMatchObject({ isDir: true, isFile: false });
    await expectUfsError(backend.read(''), 'INVALID_INPUT');
  });

  it('refuses writes, deletes, listing and mkdir with UNSUPPORTED', async () => {
    const backend = await create();
    const key = encodeKey(text);
    await expectUfsError(backend.write(key, Readable.from([Buffer.from('x')])), 'UNSUPPORTED');
    await expectUfsError(backend.delete(key), 'UNSUPPORTED');
    await expectUfsError(backend.list(''), 'UNSUPPORTED');
    await expectUfsError(backend.mkdir('x'), 'UNSUPPORTED');
    await expectUfsError(backend.read(key, { versionId: 'v1' }), 'UNSUPPORTED');
    expect(await get(backend, key)).toEqual(text);
  });

  it('reports the configured content type and a stable etag', async () => {
    const backend = await create({ contentType: 'text/plain' });
    const key = encodeKey(text);
    const a = await backend.stat(key);
    expect(a).toMatchObject({ contentType: 'text/plain', size: text.length });
    expect(a?.etag).toBe((await backend.stat(key.slice(0, 8) + '/' + key.slice(8)))?.etag);
    expect(a?.etag).not.toBe((await backend.stat(encodeKey(allBytes)))?.etag);
  });

  it('stops on abort with ABORTED', async () => {
    const backend = await create();
    const controller = new AbortController();
    controller.abort();
    await expectUfsError(backend.read(encodeKey(text), { signal: controller.signal }), 'ABORTED');
    const later = new AbortController();
    const stream = await backend.read(encodeKey(randomBytes(512 * 1024)), { signal: later.signal });
    later.abort();
    const thrown = await readAll(stream).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UfsError);
    expect((thrown as UfsError).code).toBe('ABORTED');
  });

  it('validates options', () => {
    expect(definition.options.safeParse({ contentType: '' }).success).toBe(false);
    const unknown = definition.options.safeParse({ encoding: 'hex' });
    expect(unknown.success).toBe(false);
    expect(definition.fromUrl?.(new URL('data:'))).toEqual({});
  });

  it('is registered under base64 and data', async () => {
    expect((await loadBackend('data')).protocol).toBe('base64');
    expect((await loadBackend('base64')).protocol).toBe('base64');
  });
});

describe('data: URI helpers', () => {
  it('round-trips bytes through data: URIs and keys', () => {
    const uri = dataUri(allBytes, 'application/x-test');
    expect(uri.startsWith('data:application/x-test;base64,')).toBe(true);
    expect(fromDataUri(uri)).toEqual({ mediaType: 'application/x-test', bytes: allBytes });
    expect(keyFromDataUri(uri)).toBe(encodeKey(allBytes));
    expect(fromDataUri(dataUri(Buffer.alloc(0))).bytes).toEqual(Buffer.alloc(0));
  });

  it('reads percent-encoded payloads and the default media type', () => {
    expect(fromDataUri('data:,Hello%2C%20World%21')).toEqual({
      mediaType: 'text/plain;charset=US-ASCII',
      bytes: Buffer.from('Hello, World!'),
    });
    expect(fromDataUri('data:text/plain;charset=utf-8,caf%C3%A9 €').bytes.toString()).toBe('café €');
  });

  it('refuses what is not a data: URI', () => {
    for (const bad of ['http://x', 'data:text/plain', 'data:;base64,@@@', 'data:,bad%zz']) {
      expect(() => fromDataUri(bad)).toThrow(UfsError);
    }
    expect(() => encodeKey(allBytes, { chunkLength: 5 })).toThrow(UfsError);
  });
});
