import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small static file server for the http backend tests, on 127.0.0.1 with a free port. Files live under `prefix`.
 * A first path segment starting with `__` picks a behaviour for the file named by the rest of the path:
 * `__no-head` (HEAD answers 405), `__get-only` (HEAD answers 403, like a URL signed for GET), `__ignore-range` (Range ignored, 200 with the whole file), `__chunked` (no
 * Content-Length), `__slow-head` (headers after `slowMs`), `__slow-body` (first bytes, then a stall of `slowMs`),
 * `__500`, `__429` (Retry-After: 7), `__private` (401 unless `authorization: Bearer secret`), `__shifted-range`
 * (a 206 that starts 3 bytes before the asked start), `__wrong-range` (a 206 that starts after the asked start).
 */
export interface StaticServer {
  /** `http://127.0.0.1:<port><prefix>` */
  readonly url: string;
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

const MTIME = new Date('2024-03-01T12:00:00Z');

export async function startStaticServer(
  files: Record<string, Buffer>,
  options: { prefix?: string; slowMs?: number } = {},
): Promise<StaticServer> {
  const prefix = options.prefix ?? '/files/';
  const slowMs = options.slowMs ?? 2_000;
  const requests: StaticServer['requests'] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!path.startsWith(prefix)) return void res.writeHead(404).end();
    let segments = path.slice(prefix.length).split('/').map(decodeURIComponent);
    let behaviour = '';
    if (segments[0]?.startsWith('__')) {
      behaviour = segments[0].slice(2);
      segments = segments.slice(1);
    }
    const body = files[segments.join('/')];
    if (behaviour === '500') return void res.writeHead(500, 'Broken').end('boom');
    if (behaviour === '429') return void res.writeHead(429, { 'retry-after': '7' }).end();
    if (behaviour === 'private' && req.headers.authorization !== 'Bearer secret') return void res.writeHead(401).end();
    if (behaviour === 'no-head' && req.method === 'HEAD') return void res.writeHead(405, { allow: 'GET' }).end();
    if (behaviour === 'get-only' && req.method === 'HEAD') return void res.writeHead(403).end();
    if (!body) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');

    const headers: Record<string, string> = {
      'content-type': segments.at(-1)?.endsWith('.txt') ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'last-modified': MTIME.toUTCString(),
      etag: `"${createHash('sha1').update(body).digest('hex')}"`,
      'accept-ranges': 'bytes',
    };
    if (req.headers['if-none-match'] === headers.etag) return void res.writeHead(304, headers).end();
    let status = 200;
    let slice = body;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && behaviour !== 'ignore-range') {
      let start = range[1] === '' ? Math.max(0, body.length - Number(range[2])) : Number(range[1]);
      const end = range[1] === '' || range[2] === '' ? body.length - 1 : Math.min(Number(range[2]), body.length - 1);
      if (start >= body.length) {
        return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      }
      if (behaviour === 'shifted-range') start = Math.max(0, start - 3);
      if (behaviour === 'wrong-range') start = Math.min(end, start + 1);
      status = 206;
      slice = body.subarray(start, end + 1);
      headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
    }
    if (behaviour !== 'chunked') headers['content-length'] = String(slice.length);
    if (req.method === 'HEAD') {
      if (behaviour === 'slow-head') return void later(slowMs, () => res.writeHead(status, headers).end());
      return void res.writeHead(status, headers).end();
    }
    if (behaviour === 'slow-head') return void later(slowMs, () => res.writeHead(status, headers).end(slice));
    res.writeHead(status, headers);
    if (behaviour === 'slow-body') {
      res.write(slice.subarray(0, 4));
      return void later(slowMs, () => res.end(slice.subarray(4)));
    }
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
