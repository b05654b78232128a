import { describe, expect, it } from '@jest/globals';
import { appendFile, truncate } from 'node:fs/promises';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { isUfsError } from '@org/core';
import { fileSource, loadProvider, parseDuration } from '../src/index.js';
import { multipartBody } from '../src/http/multipart.js';
import { countedBytes } from '../src/http/body.js';
import { recycledFileChunks } from '../src/http/file-chunks.js';
import { ChunkReader } from '../src/kit/chunks.js';
import { uniqueName, encodeKeyPath } from '../src/kit/names.js';
import { resolveBaseUrl } from '../src/env.js';
import { tempshFake } from './fakes/tempsh.js';
import { randomFile, tempDir } from './helpers.js';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of source) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

describe('multipart body', () => {
  it('has exactly the declared Content-Length and parses back to the same fields and file', async () => {
    const file = Buffer.from('x'.repeat(1000) + 'ünïcode');
    const form = multipartBody(
      [
        ['reqtype', 'fileupload'],
        ['time', '1h'],
      ],
      {
        field: 'fileToUpload',
        filename: 'na"me\r\n.txt',
        contentType: 'text/plain',
        size: file.byteLength,
        bytes: Readable.from([file]),
      },
    );
    const body = await collect(form.body);
    expect(body.byteLength).toBe(form.contentLength);
    const parsed = await new Promise<{ fields: Record<string, string>; name: string; filename: string; data: Buffer }>(
      (resolve, reject) => {
        const out: { fields: Record<string, string>; name: string; filename: string; data: Buffer } = {
          fields: {},
          name: '',
          filename: '',
          data: Buffer.alloc(0),
        };
        const parser = busboy({ headers: { 'content-type': form.contentType } });
        parser.on('field', (k, v) => (out.fields[k] = v));
        parser.on('file', (name, stream, info) => {
          out.name = name;
          out.filename = info.filename ?? '';
          void collect(stream).then((d) => (out.data = d));
        });
        parser.on('close', () => setImmediate(() => resolve(out)));
        parser.on('error', reject);
        parser.end(body);
      },
    );
    expect(parsed.fields).toEqual({ reqtype: 'fileupload', time: '1h' });
    expect(parsed.name).toBe('fileToUpload');
    expect(parsed.filename).toBe('na%22me%0D%0A.txt');
    expect(parsed.data.equals(file)).toBe(true);
  });
});

describe('streams', () => {
  it('recycledFileChunks reads exact bytes for any size (ring of reused buffers, consumer copies)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (const size of [0, 1, 999, 4096, 10_000]) {
        const file = await randomFile(dir, `r${size}.bin`, size);
        const copies: Buffer[] = [];
        for await (const chunk of recycledFileChunks(file.path, size, {}, 1024)) copies.push(Buffer.from(chunk));
        expect(Buffer.concat(copies).equals(file.bytes)).toBe(true);
        expect(copies.every((c) => c.byteLength <= 1024)).toBe(true);
      }
    } finally {
      await cleanup();
    }
  });

  it('ChunkReader splits one stream into pieces without losing or reordering bytes', async () => {
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
    const source = Readable.from([data.subarray(0, 3333), data.subarray(3333, 3334), data.subarray(3334)]);
    const reader = new ChunkReader(source);
    const pieces = [
      await collect(reader.piece(4000)),
      await collect(reader.piece(4000)),
      await collect(reader.piece(4000)),
    ];
    expect(pieces.map((p) => p.byteLength)).toEqual([4000, 4000, 2000]);
    expect(Buffer.concat(pieces).equals(data)).toBe(true);
    expect((await collect(reader.piece(10))).byteLength).toBe(0);
  });

  it('through a provider too: the request is abandoned with INTEGRITY and nothing is stored', async () => {
    const { dir, cleanup } = await tempDir();
    const fake = await tempshFake().start();
    try {
      const file = await randomFile(dir, 'grow.bin', 300_000);
      const source = await fileSource(file.path);
      await appendFile(file.path, 'more');
      const provider = await loadProvider('tempsh');
      const error = await provider.upload(source, { env: { UFS_TEMPSH_URL: fake.url } }).catch((e: unknown) => e);
      expect(isUfsError(error, 'INTEGRITY')).toBe(true);
      expect(fake.files.size).toBe(0);
    } finally {
      await fake.stop();
      await cleanup();
    }
  });

  it('a file that changed never gives all its declared bytes: the last chunk waits for the size check', async () => {
    // A service that has a body's whole Content-Length may store it and answer before the failure of the body's
    // iterator aborts the request; so the failure must come before the last declared byte.
    const { dir, cleanup } = await tempDir();
    try {
      const cases: { name: string; size: number; change: 'grow' | 'shrink'; reuse: boolean; chunk: number }[] = [
        { name: 'grown, ring', size: 4096, change: 'grow', reuse: true, chunk: 1024 },
        { name: 'grown, ring, one chunk', size: 1000, change: 'grow', reuse: true, chunk: 1024 },
        { name: 'grown, stream, chunk boundary', size: 4096, change: 'grow', reuse: false, chunk: 1024 },
        { name: 'grown, stream', size: 1000, change: 'grow', reuse: false, chunk: 1024 },
        { name: 'shrunk, ring', size: 4096, change: 'shrink', reuse: true, chunk: 1024 },
        { name: 'shrunk, stream', size: 4096, change: 'shrink', reuse: false, chunk: 1024 },
      ];
      for (const c of cases) {
        const file = await randomFile(dir, `${c.name}.bin`, c.size);
        const source = await fileSource(file.path, { chunkSize: c.chunk });
        if (c.change === 'grow') await appendFile(file.path, 'more');
        else await truncate(file.path, c.size - 10);
        const bytes = c.reuse
          ? recycledFileChunks(file.path, source.size, {}, c.chunk)
          : countedBytes(source, () => undefined, { provider: 'test', operation: 'upload' });
        let given = 0;
        const error = await (async () => {
          for await (const chunk of bytes) given += chunk.byteLength;
        })().catch((e: unknown) => e);
        expect({ case: c.name, integrity: isUfsError(error, 'INTEGRITY') }).toEqual({ case: c.name, integrity: true });
        expect({ case: c.name, given: given < c.size }).toEqual({ case: c.name, given: true });
      }
    } finally {
      await cleanup();
    }
  });

  it('an unchanged file gives all its bytes through both readers, progress reaching the size', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (const size of [0, 1, 1024, 4096, 5000]) {
        const file = await randomFile(dir, `same${size}.bin`, size);
        const source = await fileSource(file.path, { chunkSize: 1024 });
        const progress: number[] = [];
        const streamed = await collect(countedBytes(source, (n) => progress.push(n), { operation: 'upload' }));
        expect(streamed.equals(file.bytes)).toBe(true);
        expect(progress.at(-1) ?? 0).toBe(size);
        const ring = await collect(recycledFileChunks(file.path, size, {}, 1024));
        expect(ring.equals(file.bytes)).toBe(true);
      }
    } finally {
      await cleanup();
    }
  });

  it('a file that grows during the upload is INTEGRITY, not a body longer than its Content-Length', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = await randomFile(dir, 'grow.bin', 1000);
      const source = await fileSource(file.path);
      await appendFile(file.path, 'more');
      const error = await collect(
        countedBytes(source, () => undefined, { provider: 'test', operation: 'upload' }),
      ).catch((e: unknown) => e);
      expect(isUfsError(error, 'INTEGRITY')).toBe(true);
      expect((error as Error).message).toMatch(/changed while uploading/);
    } finally {
      await cleanup();
    }
  });
});

describe('names, durations, base URLs', () => {
  it('uniqueName adds a random suffix before the extension; key paths are encoded per segment', () => {
    expect(uniqueName('a.tar.gz')).toMatch(/^a\.tar-[0-9a-f]{8}\.gz$/);
    expect(uniqueName('README')).toMatch(/^README-[0-9a-f]{8}$/);
    expect(encodeKeyPath('a b/c#d')).toBe('a%20b/c%23d');
  });

  it('parseDuration reads m/h/d/w and refuses the rest', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('72h')).toBe(259_200_000);
    expect(parseDuration('1.5d')).toBe(129_600_000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it('base URL: option beats env beats the public default; a bad one is CONFIG_INVALID naming the variable', async () => {
    expect(resolveBaseUrl('catbox', undefined, {}, 'UFS_CATBOX_URL', 'https://catbox.moe')).toBe('https://catbox.moe');
    expect(
      resolveBaseUrl(
        'catbox',
        undefined,
        { UFS_CATBOX_URL: 'http://127.0.0.1:9/' },
        'UFS_CATBOX_URL',
        'https://catbox.moe',
      ),
    ).toBe('http://127.0.0.1:9');
    expect(
      resolveBaseUrl(
        'catbox',
        'http://mirror/x/',
        { UFS_CATBOX_URL: 'http://127.0.0.1:9/' },
        'UFS_CATBOX_URL',
        'https://catbox.moe',
      ),
    ).toBe('http://mirror/x');
    const provider = await loadProvider('catbox');
    const error = await provider
      .upload(
        { filename: 'a', size: 1, open: () => Readable.from([Buffer.from('a')]) },
        { env: { UFS_CATBOX_URL: 'ftp://nope' } },
      )
      .catch((e: unknown) => e);
    expect(isUfsError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('UFS_CATBOX_URL');
  });

  it('a network error (nothing listening) is retryable UNAVAILABLE', async () => {
    const provider = await loadProvider('tempsh');
    const error = await provider
      .upload(
        { filename: 'a', size: 1, open: () => Readable.from([Buffer.from('a')]) },
        { env: { UFS_TEMPSH_URL: 'http://127.0.0.1:9' } },
      )
      .catch((e: unknown) => e);
    expect(isUfsError(error, 'UNAVAILABLE')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect((error as Error).message).toMatch(/\[ufs\] \[tempsh\] upload "a": connection refused/);
  });
});
