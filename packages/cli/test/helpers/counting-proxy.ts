import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyOptions {
  /** Hold back every answer this long (a slow server). */
  delayMs?: number;
  /**
   * Answer a request with this status (and a JSON `detail`) instead of forwarding it, when it returns one; read on
   * every request, so a test may change it between runs.
   */
  fault?: (req: IncomingMessage) => number | undefined;
}

export interface CountingProxy {
  url: string;
  /** Request body bytes per method. */
  bytes: Record<string, number>;
  /** Requests per method and first path segment, e.g. `POST /put_files`, `GET /health`, `POST /upload_file`. */
  requests: Record<string, number>;
  /** Most requests of one kind (same key as `requests`) in flight at once. */
  peak: Record<string, number>;
  /** Zeroes the counts. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of a server that counts request body bytes per method, and requests (and their
 * peak concurrency) per route; `delayMs` holds back every answer that long (a slow server), `fault` answers some
 * requests itself with an error status.
 */
export async function countingProxy(target: string, options: ProxyOptions = {}): Promise<CountingProxy> {
  const bytes: Record<string, number> = {};
  const requests: Record<string, number> = {};
  const peak: Record<string, number> = {};
  const active: Record<string, number> = {};
  const to = new URL(target);
  const server: Server = createServer((req, res) => {
    const kind = `${req.method} /${(req.url ?? '/').split(/[/?]/)[1] ?? ''}`;
    requests[kind] = (requests[kind] ?? 0) + 1;
    active[kind] = (active[kind] ?? 0) + 1;
    peak[kind] = Math.max(peak[kind] ?? 0, active[kind]);
    res.once('close', () => void active[kind]!--);
    req.on('data', (chunk: Buffer) => (bytes[req.method!] = (bytes[req.method!] ?? 0) + chunk.length));
    const status = options.fault?.(req);
    if (status !== undefined) {
      req.resume();
      req.once('end', () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: `refused by the test proxy (${status})` }));
      });
      return;
    }
    const upstream = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const forward = () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        if (options.delayMs) setTimeout(forward, options.delayMs);
        else forward();
      },
    );
    upstream.on('error', () => res.destroy());
    // A client that dies mid-request (killed scan) must not leave a half-sent request hanging on the server.
    req.on('close', () => {
      if (!req.complete) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const clear = (counts: Record<string, number>) => {
    for (const key of Object.keys(counts)) delete counts[key];
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes,
    requests,
    peak,
    reset() {
      clear(bytes);
      clear(requests);
      clear(peak);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
