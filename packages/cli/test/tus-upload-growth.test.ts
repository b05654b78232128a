import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isUfsError } from '@org/core';
import { tusUpload } from '../src/api/tus-upload.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox } from './helpers/ufs.js';

// A file that changes while its resumable (tus) upload reads it — it grows (a log), or is rewritten in place — fails
// the upload with INTEGRITY "the file changed while it was being scanned", as the other upload paths do, and the
// server is not sent its last byte (it stores nothing). Before, the last request read the bytes hashed and checked
// only their count: the upload succeeded and the catalogue kept a version the file no longer had. Real HTTP: a real
// `ufs serve` behind a proxy that holds the PATCH body after its first bytes until the test has changed the file (the
// client's read of the file then waits too: the file is much larger than what the sockets buffer).

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let gate: Gate;
const SIZE = 48 * 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Gate {
  url: string;
  /** Resolves when a PATCH body has started to arrive (and is held). */
  holding(): Promise<void>;
  /** Lets the held body through. */
  release(): void;
  close(): Promise<void>;
}

/** A pass-through proxy to the real server that holds each PATCH body after its first bytes until `release`. */
async function gateProxy(target: string): Promise<Gate> {
  const to = new URL(target);
  let held: (() => void) | undefined;
  let waiting: (() => void) | undefined;
  const http: Server = createServer((req, res) => {
    const upstream = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.on('close', () => {
      if (!req.complete) upstream.destroy();
    });
    if (req.method === 'PATCH') {
      req.once('data', () => {
        req.pause();
        held = () => req.resume();
        waiting?.();
      });
    }
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    holding: () => new Promise<void>((resolve) => (held ? resolve() : (waiting = resolve))),
    release() {
      held?.();
      held = undefined;
      waiting = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

async function file(name: string): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(SIZE);
  const path = join(box.dir, name);
  await writeFile(path, bytes);
  return { path, bytes };
}

async function held(digest: string): Promise<number> {
  const res = await fetch(`${server.url}/files/${digest}/content`, { headers: { 'x-api-key': server.apiKey! } });
  await res.arrayBuffer();
  return res.status;
}

/** The upload of `path` through the gate, `change` applied to the file while its one PATCH is held: its outcome. */
async function changedDuringUpload(
  path: string,
  bytes: Buffer,
  change: () => Promise<void>,
  stamped: boolean,
): Promise<unknown> {
  const stats = await stat(path, { bigint: true });
  const upload = tusUpload({
    base: gate.url,
    headers: { 'x-api-key': server.apiKey! },
    path,
    sha256: sha(bytes),
    size: bytes.length,
    ...(stamped ? { stamp: { size: stats.size, mtimeNs: stats.mtimeNs } } : {}),
  }).then(
    () => undefined,
    (err: unknown) => err,
  );
  await gate.holding();
  await change();
  gate.release();
  return upload;
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  gate = await gateProxy(server.url);
});
afterAll(async () => {
  await gate?.close();
  await server?.stop();
  await box?.cleanup();
});

describe('tusUpload of a file that changes during its upload', () => {
  it('a file that grows during its last (here only) PATCH: INTEGRITY, and the server holds nothing', async () => {
    const { path, bytes } = await file('growing.log');
    const err = await changedDuringUpload(path, bytes, () => appendFile(path, 'one more line\n'), false);
    expect(isUfsError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'INTEGRITY', retryable: false });
    expect((err as Error).message).toBe(
      `[ufs] [server] upload "${path}": the file changed while it was being scanned ` +
        `(${SIZE} bytes when scanned, ${SIZE + 14} now); scan again`,
    );
    expect(await held(sha(bytes))).toBe(404);
  });

  it('a file rewritten in place (same size, new mtime) with its scan stamp: INTEGRITY, nothing held', async () => {
    const { path, bytes } = await file('rewritten.bin');
    const later = new Date(Date.now() + 60_000);
    const err = await changedDuringUpload(path, bytes, () => utimes(path, later, later), true);
    expect(err).toMatchObject({ code: 'INTEGRITY', retryable: false });
    expect((err as Error).message).toContain(
      'the file changed while it was being scanned (modified since it was scanned)',
    );
    expect(await held(sha(bytes))).toBe(404);
  });

  it('a file left as it was is uploaded through the same gate', async () => {
    const { path, bytes } = await file('steady.bin');
    expect(await changedDuringUpload(path, bytes, () => Promise.resolve(), true)).toBeUndefined();
    expect(await held(sha(bytes))).toBe(200);
  });
});
