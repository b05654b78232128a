import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isUfsError } from '@org/core';
import { tusUpload, type TusUploadOptions } from '../src/api/tus-upload.js';
import { countingProxy, type CountingProxy } from './helpers/counting-proxy.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox } from './helpers/ufs.js';

// A resumable (tus) upload with `timeoutMs` (the scan's --timeout) never waits for ever on a server: one that takes
// the creation and then stops reading the PATCH, or never answers at all (POST, or the HEAD of a resumed upload),
// fails the upload with TIMEOUT naming the server, at once and without the library's retries; the upload resumes
// later from the server's offset. A server that is slow but keeps answering is waited for, however long the upload
// takes. Real HTTP: a real `ufs serve`, node:http servers in front of it that stall, and one that never answers.

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let slow: CountingProxy;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Stalling {
  url: string;
  /** `METHOD /path` of each request, as it came. */
  seen: string[];
  /** Requests whose connection the client closed (without waiting for an answer that never came). */
  closed: string[];
  close(): Promise<void>;
}

/**
 * A node:http server: `POST /tus` is passed to the real server and its answer returned (when `create` is set), every
 * other request is read a little and never answered (a server that stops answering mid-upload).
 */
async function stallingServer(create: boolean): Promise<Stalling> {
  const seen: string[] = [];
  const closed: string[] = [];
  const http: Server = createServer((req: IncomingMessage, res) => {
    const name = `${req.method} ${req.url}`;
    seen.push(name);
    req.socket.once('close', () => {
      if (!res.writableEnded) closed.push(name);
    });
    if (create && req.method === 'POST' && req.url === '/tus') {
      req.resume();
      const headers: Record<string, string> = {};
      for (const h of ['x-api-key', 'tus-resumable', 'upload-length', 'upload-metadata']) {
        const value = req.headers[h];
        if (typeof value === 'string') headers[h] = value;
      }
      void fetch(`${server.url}/tus`, { method: 'POST', headers }).then(async (answer) => {
        res.writeHead(answer.status, {
          'tus-resumable': '1.0.0',
          ...(answer.headers.get('location') ? { location: answer.headers.get('location')! } : {}),
        });
        res.end(await answer.text());
      });
      return;
    }
    // Takes the first bytes of the body, then stops reading for 1.5 s (a paused socket does not see its client
    // leave), then reads again; never answers.
    req.once('data', () => {
      req.pause();
      setTimeout(() => req.resume(), 1500).unref();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    seen,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

async function file(name: string, size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(box.dir, name);
  await writeFile(path, bytes);
  return { path, bytes };
}

/**
 * The upload's outcome (undefined: it succeeded), or a failure of the test after `guardMs`: an upload that would wait
 * for ever (no timeout) is stopped by its signal rather than left for the suite's timeout.
 */
async function outcome(options: Omit<TusUploadOptions, 'signal'>, guardMs = 15_000): Promise<unknown> {
  const stop = new AbortController();
  const guard = setTimeout(() => stop.abort(), guardMs);
  try {
    await tusUpload({ ...options, signal: stop.signal });
    return undefined;
  } catch (err) {
    if (stop.signal.aborted) throw new Error(`the upload was still waiting after ${guardMs} ms`);
    return err;
  } finally {
    clearTimeout(guard);
  }
}

async function held(digest: string): Promise<{ status: number; sha256?: string }> {
  const res = await fetch(`${server.url}/files/${digest}/content`, { headers: { 'x-api-key': server.apiKey! } });
  if (!res.ok) return { status: res.status };
  return { status: res.status, sha256: sha(Buffer.from(await res.arrayBuffer())) };
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  slow = await countingProxy(server.url, { delayMs: 700 });
});
afterAll(async () => {
  await slow?.close();
  await server?.stop();
  await box.cleanup();
});

describe('tusUpload with timeoutMs', () => {
  it('a server that takes the creation and stalls the PATCH: TIMEOUT naming it, once; the upload resumes later', async () => {
    const stall = await stallingServer(true);
    try {
      const { path, bytes } = await file('stalled.bin', 8 * 1024 * 1024);
      let url: string | undefined;
      const started = Date.now();
      const err = await outcome({
        base: stall.url,
        headers: { 'x-api-key': server.apiKey! },
        path,
        sha256: sha(bytes),
        size: bytes.length,
        timeoutMs: 1000,
        onUrl: (u) => (url = u),
      });
      const elapsed = Date.now() - started;
      expect(isUfsError(err)).toBe(true);
      expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true, context: { backend: 'server' } });
      const id = url!.split('/').pop()!;
      expect((err as Error).message).toBe(
        `[ufs] [server] resumable upload "${path}": no answer for 1 s to PATCH ${stall.url}/tus/${id} ` +
          '(wait longer with --timeout SECONDS)',
      );
      // At once: no retry of the PATCH (each would wait as long again), and its connection is closed. When its whole
      // body was handed to the socket before the stall (loopback buffers are large), the server was asked (HEAD)
      // whether it is finishing the upload, as after any last byte: it did not answer, and that connection is closed.
      expect(elapsed).toBeLessThan(5000);
      const asked = stall.seen.length > 2 ? [`HEAD /tus/${id}`] : [];
      expect(stall.seen).toEqual(['POST /tus', `PATCH /tus/${id}`, ...asked]);
      for (let i = 0; i < 50 && stall.closed.length < 1 + asked.length; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(stall.closed.sort()).toEqual([...asked, `PATCH /tus/${id}`]);

      // The upload URL stays valid: a later run resumes it from the server's offset and completes it.
      expect(
        await outcome({
          base: server.url,
          headers: { 'x-api-key': server.apiKey! },
          path,
          sha256: sha(bytes),
          size: bytes.length,
          timeoutMs: 1000,
          resumeUrl: `${server.url}/tus/${id}`,
        }),
      ).toBeUndefined();
      expect(await held(sha(bytes))).toEqual({ status: 200, sha256: sha(bytes) });
    } finally {
      await stall.close();
    }
  });

  it('a server that never answers: TIMEOUT for the creation (POST), and for the HEAD of a resumed upload', async () => {
    const silent = await stallingServer(false);
    try {
      const { path, bytes } = await file('unanswered.bin', 100_000);
      const base = {
        base: silent.url,
        headers: { 'x-api-key': server.apiKey! },
        path,
        sha256: sha(bytes),
        size: bytes.length,
        timeoutMs: 1000,
      };
      const created = await outcome(base);
      expect(created).toMatchObject({ code: 'TIMEOUT', retryable: true });
      expect((created as Error).message).toBe(
        `[ufs] [server] resumable upload "${path}": no answer for 1 s to POST ${silent.url}/tus ` +
          '(wait longer with --timeout SECONDS)',
      );
      const resumed = await outcome({ ...base, resumeUrl: `${silent.url}/tus/${'a'.repeat(32)}` });
      expect(resumed).toMatchObject({ code: 'TIMEOUT' });
      expect((resumed as Error).message).toContain(`no answer for 1 s to HEAD ${silent.url}/tus/${'a'.repeat(32)}`);
      expect(silent.seen).toEqual(['POST /tus', `HEAD /tus/${'a'.repeat(32)}`]);
    } finally {
      await silent.close();
    }
  });

  it('a slow server that answers each request within the limit is waited for, however long the upload', async () => {
    const { path, bytes } = await file('slow.bin', 5 * 64 * 1024);
    const started = Date.now();
    // Each answer comes 0.7 s late (under the 1 s limit): one POST and five PATCHes take more than 4 s.
    expect(
      await outcome({
        base: slow.url,
        headers: { 'x-api-key': server.apiKey! },
        path,
        sha256: sha(bytes),
        size: bytes.length,
        timeoutMs: 1000,
        chunkSize: 64 * 1024,
      }),
    ).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThan(4000);
    expect(slow.requests['PATCH /tus']).toBe(5);
    expect(await held(sha(bytes))).toEqual({ status: 200, sha256: sha(bytes) });
  });
});
