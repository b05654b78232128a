import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { freePort } from '@org/test-services';
import { DedupClient, SMALL_UPLOAD } from '../src/api/dedup-client.js';
import { tusUpload } from '../src/api/tus-upload.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox } from './helpers/ufs.js';

// The scanner's uploads (POST /upload_file, multipart) against a real `ufs serve`: small files read at once, larger
// ones streamed; either way the server must end up with exactly the bytes hashed, or with nothing.
let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let client: DedupClient;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function record(path: string, bytes: Buffer, hostname = 'client-test') {
  return client.putFiles([
    {
      filepath: path,
      hostname,
      ip_address: '127.0.0.1',
      sha256: sha(bytes),
      file_size: bytes.length,
      file_mode: 0o100644,
      file_uid: 0,
      file_gid: 0,
      file_mtime: 0,
      file_atime: 0,
      file_ctime: 0,
    },
  ]);
}

/** What the server serves for a hash: its status, and the length and SHA-256 of the body (jest compares large buffers slowly). */
async function held(digest: string): Promise<{ status: number; bytes?: number; sha256?: string }> {
  const res = await fetch(`${server.url}/files/${digest}/content`, { headers: client.headers() });
  if (!res.ok) return { status: res.status };
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, bytes: body.length, sha256: sha(body) };
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  client = new DedupClient({ url: server.url, apiKey: server.apiKey! });
});
afterAll(async () => {
  await server?.stop();
  await box.cleanup();
});

describe('DedupClient.uploadFile', () => {
  it.each([
    ['a small file (one read)', 200_000],
    ['a file at the small-upload limit', SMALL_UPLOAD],
    ['a larger file (streamed)', SMALL_UPLOAD + 300_000],
    ['an empty file', 0],
  ])('uploads %s exactly', async (_label, size) => {
    const bytes = randomBytes(size);
    const path = join(box.dir, `file-${size}.bin`);
    await writeFile(path, bytes);
    await record(path, bytes);
    let progress = 0;
    await client.uploadFile(sha(bytes), path, size, { hostname: 'client-test', filepath: path }, (n) => (progress = n));
    expect(await held(sha(bytes))).toEqual({ status: 200, bytes: size, sha256: sha(bytes) });
    expect(progress).toBe(size);
  });

  it('a small file that changed since it was hashed fails with INTEGRITY and nothing is stored', async () => {
    const bytes = randomBytes(50_000);
    const path = join(box.dir, 'grew.bin');
    await writeFile(path, bytes);
    await record(path, bytes);
    await appendFile(path, 'more');
    await expect(
      client.uploadFile(sha(bytes), path, bytes.length, { hostname: 'client-test', filepath: path }),
    ).rejects.toMatchObject({ code: 'INTEGRITY', message: expect.stringContaining('changed since it was hashed') });
    await writeFile(path, bytes.subarray(0, 10));
    await expect(
      client.uploadFile(sha(bytes), path, bytes.length, { hostname: 'client-test', filepath: path }),
    ).rejects.toMatchObject({ code: 'INTEGRITY' });
    expect(await held(sha(bytes))).toEqual({ status: 404 });
  });
});

/** A local HTTP server answering with `handler`; its URL and the requests it saw. */
async function local(handler: (req: IncomingMessage, res: ServerResponse, seen: number) => void) {
  const seen: string[] = [];
  const http: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += String(chunk)));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-api-key'] ?? '-'} ${body}`);
      handler(req, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () => {
      http.closeAllConnections();
      return new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const ONCE = { maxAttempts: 1 };

describe('DedupClient JSON requests', () => {
  it('sends the key and the JSON body, and reads the JSON answer (real server)', async () => {
    expect(await client.catalogueEpoch()).toMatch(/\S+/);
    const bytes = randomBytes(10);
    const answer = await record('/json/a.bin', bytes, 'json-test');
    expect(answer.upload_required).toEqual([sha(bytes)]);
  });

  it('a wrong key is PERMISSION_DENIED, not retried (real server)', async () => {
    const wrong = new DedupClient({ url: server.url, apiKey: 'not-a-key' });
    await expect(wrong.catalogueEpoch()).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      context: expect.objectContaining({ status: 401 }),
    });
  });

  it('retries a 503 (after its Retry-After) and then takes the answer', async () => {
    const srv = await local((_req, res, n) => {
      if (n === 1)
        res.writeHead(503, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"detail":"busy"}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"catalogue_epoch":"e1"}');
    });
    try {
      const c = new DedupClient({ url: srv.url, apiKey: 'k1' });
      expect(await c.catalogueEpoch()).toBe('e1');
      expect(srv.seen).toEqual(['GET /catalogue k1 ', 'GET /catalogue k1 ']);
    } finally {
      await srv.close();
    }
  });

  it('an answer that is not JSON is UNEXPECTED; an error answer carries its detail; a redirect is CONFIG_INVALID', async () => {
    const srv = await local((req, res) => {
      if (req.url === '/text') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy</html>');
      else if (req.url === '/moved') res.writeHead(301, { location: 'https://dedup.example/moved' }).end();
      else res.writeHead(422, { 'content-type': 'application/json' }).end('{"detail":"sha256 must be 64 hex"}');
    });
    try {
      const c = new DedupClient({ url: srv.url });
      await expect(c.json('GET', '/text', undefined, ONCE)).rejects.toMatchObject({
        code: 'UNEXPECTED',
        message: expect.stringContaining('not JSON'),
      });
      await expect(c.json('POST', '/put_file', { sha256: 'x' }, ONCE)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('sha256 must be 64 hex'),
      });
      expect(srv.seen[1]).toBe('POST /put_file - {"sha256":"x"}');
      // A redirect is not followed (a POST would become a GET): the error names the address to use.
      await expect(c.json('POST', '/moved', {}, ONCE)).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(
          'redirects (301) to https://dedup.example/moved: give the address it moved to as --server',
        ),
      });
    } finally {
      await srv.close();
    }
  });

  it('a server that does not answer: TIMEOUT after timeoutMs, ABORTED by the signal; a closed port is UNAVAILABLE', async () => {
    const srv = await local(() => undefined); // never answers
    try {
      const slow = new DedupClient({ url: srv.url }, { timeoutMs: 200 });
      await expect(slow.json('GET', '/catalogue', undefined, ONCE)).rejects.toMatchObject({ code: 'TIMEOUT' });
      const stop = new AbortController();
      const stopped = new DedupClient({ url: srv.url }, { signal: stop.signal });
      setTimeout(() => stop.abort(), 100);
      await expect(stopped.json('GET', '/catalogue', undefined, ONCE)).rejects.toMatchObject({ code: 'ABORTED' });
    } finally {
      await srv.close();
    }
    const closed = new DedupClient({ url: `http://127.0.0.1:${await freePort()}` });
    await expect(closed.json('GET', '/catalogue', undefined, ONCE)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      retryable: true,
    });
  });
});

describe('answers too large to read', () => {
  it('an endless or oversized answer fails with TOO_LARGE naming the URL, after at most 64 MiB', async () => {
    let sent = 0;
    const http: Server = createServer((req, res) => {
      if (req.url === '/declared') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(1024 ** 3) }).end();
        return;
      }
      // 1 GiB as it is asked for (no length given): a client that reads it all holds it all
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const more = () => {
        while (sent < 1024 ** 3 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const c = new DedupClient({ url });
      await expect(c.json('GET', '/endless', undefined, ONCE)).rejects.toMatchObject({
        code: 'TOO_LARGE',
        message: expect.stringContaining(`GET ${url}/endless: the answer is too large (more than 64 MiB)`),
      });
      expect(sent).toBeLessThan(200 * 1024 * 1024);
      await expect(c.json('GET', '/declared', undefined, ONCE)).rejects.toMatchObject({
        code: 'TOO_LARGE',
        message: expect.stringContaining(`${url}/declared: the answer is too large (1.0 GiB, more than 64 MiB)`),
      });
    } finally {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});

describe('tusUpload', () => {
  it('many uploads on one signal leave no abort listener behind', async () => {
    const signal = new AbortController().signal;
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 15; i++) {
        const bytes = randomBytes(1000 + i);
        const path = join(box.dir, `tus-${i}.bin`);
        await writeFile(path, bytes);
        await record(path, bytes);
        await tusUpload({
          base: server.url,
          headers: client.headers(),
          path,
          sha256: sha(bytes),
          size: bytes.length,
          signal,
        });
        expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      }
      // a failed upload too
      await expect(
        tusUpload({
          base: server.url,
          headers: { 'x-api-key': 'wrong' },
          path: join(box.dir, 'tus-0.bin'),
          sha256: 'ab'.repeat(32),
          size: 1000,
          signal,
        }),
      ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
