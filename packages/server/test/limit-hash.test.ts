import { createHash, randomBytes } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from '@jest/globals';
import { LimitedHasher } from '../src/content/limit-hash.js';

const MiB = 1024 * 1024;

/** The bytes in pieces of uneven sizes (1 byte up to 300 KiB), as a socket or a file would hand them over. */
function pieces(data: Buffer): Readable {
  const sizes = [1, 17, 65_536, 300 * 1024, 4093, 262_144, 262_145];
  return Readable.from(
    (function* () {
      for (let at = 0, i = 0; at < data.length; i++) {
        const n = sizes[i % sizes.length]!;
        yield data.subarray(at, at + n);
        at += n;
      }
    })(),
  );
}

async function collect(stream: Readable): Promise<number> {
  let bytes = 0;
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback();
      },
    }),
  );
  return bytes;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('LimitedHasher', () => {
  const data = randomBytes(20 * MiB + 12_345);

  it.each([
    ['on the hashing thread (size unknown)', undefined],
    ['on the hashing thread (large)', data.length],
    ['inline (small)', 4 * MiB],
  ])('hashes and passes through every byte %s', async (_name, expected) => {
    const hasher = new LimitedHasher(Number.MAX_SAFE_INTEGER);
    expect(await collect(hasher.stream(pieces(data), { expectedBytes: expected }))).toBe(data.length);
    expect(hasher.bytes).toBe(data.length);
    expect(hasher.digest()).toBe(sha256(data));
  });

  it('drain hashes without passing bytes on, on either thread', async () => {
    for (const expected of [undefined, 100]) {
      const hasher = new LimitedHasher(Number.MAX_SAFE_INTEGER);
      await hasher.drain(pieces(data), { expectedBytes: expected });
      expect(hasher.digest()).toBe(sha256(data));
    }
  });

  it('keeps 50 concurrent hashes apart', async () => {
    const inputs = Array.from({ length: 50 }, (_, i) => randomBytes(MiB + i * 4099));
    const hashers = inputs.map(() => new LimitedHasher(Number.MAX_SAFE_INTEGER));
    await Promise.all(hashers.map((h, i) => collect(h.stream(pieces(inputs[i]!)))));
    expect(hashers.map((h) => h.digest())).toEqual(inputs.map(sha256));
  });

  it('fails with TOO_LARGE past the limit, and the hashing thread goes on serving others', async () => {
    const hasher = new LimitedHasher(10 * MiB);
    await expect(collect(hasher.stream(pieces(data)))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(() => hasher.digest()).toThrow(/before the body ended/);
    const next = new LimitedHasher(Number.MAX_SAFE_INTEGER);
    await collect(next.stream(pieces(data)));
    expect(next.digest()).toBe(sha256(data));
  });

  it('without a SHA-256 only counts, checks the limit and feeds extra hashes', async () => {
    const md5 = createHash('md5');
    const hasher = new LimitedHasher(data.length, { extra: [md5], sha256: false });
    expect(await collect(hasher.stream(pieces(data)))).toBe(data.length);
    expect(md5.digest('hex')).toBe(createHash('md5').update(data).digest('hex'));
    expect(() => hasher.digest()).toThrow(/without a SHA-256/);
    const small = new LimitedHasher(MiB, { sha256: false });
    await expect(collect(small.stream(pieces(data)))).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });

  it('passes a failing source on, and also feeds extra hashes', async () => {
    const broken = new Readable({ read() {} });
    broken.push(data.subarray(0, MiB));
    setImmediate(() => broken.destroy(new Error('disk went away')));
    await expect(collect(new LimitedHasher(Number.MAX_SAFE_INTEGER).stream(broken))).rejects.toThrow('disk went away');
    const md5 = createHash('md5');
    const hasher = new LimitedHasher(Number.MAX_SAFE_INTEGER, { extra: [md5] });
    await collect(hasher.stream(pieces(data)));
    expect(md5.digest('hex')).toBe(createHash('md5').update(data).digest('hex'));
  });

  it('refuses a request declaring more than the limit before reading any of it, worded as the caller says', async () => {
    const request = (contentLength?: string) => {
      const req = new IncomingMessage(new Socket());
      if (contentLength !== undefined) req.headers['content-length'] = contentLength;
      req.push(Buffer.from('abc'));
      req.push(null);
      return req;
    };
    const hasher = new LimitedHasher(100);
    expect(hasher.admit(request('100'))).toBe(100);
    expect(hasher.admit(request())).toBeUndefined();
    expect(hasher.admit(request('chunked?'))).toBeUndefined();
    expect(hasher.admit(pieces(data))).toBeUndefined(); // not a request: checked as its bytes arrive
    expect(() => hasher.admit(request('101'))).toThrow(
      expect.objectContaining({
        code: 'TOO_LARGE',
        message: '[ufs] the request body (Content-Length 101) is larger than the limit of 100 bytes',
      }),
    );
    // stream and drain check it themselves, before reading.
    const over = request('5000');
    expect(() => hasher.stream(over)).toThrow(/Content-Length 5000/);
    await expect(hasher.drain(over)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect([over.readableDidRead, hasher.bytes]).toEqual([false, 0]);
    const worded = new LimitedHasher(2, {
      sha256: false,
      overLimit: (n) => `[ufs] ${n ?? 'what came'} is more than 2`,
    });
    expect(() => worded.admit(request('3'))).toThrow('[ufs] 3 is more than 2');
    // The same words when the bytes that came, not a Content-Length, go over the limit.
    await expect(collect(worded.stream(request()))).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: '[ufs] what came is more than 2',
    });
    await expect(new LimitedHasher(2).drain(pieces(data))).rejects.toMatchObject({
      message: '[ufs] upload is larger than the limit of 2 bytes',
    });
  });
});
