import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of a server that counts request body bytes per method; `delayMs` holds back
 * every answer that long (a slow server).
 */
export async function countingProxy(
  target: string,
  options: { delayMs?: number } = {},
): Promise<{ url: string; bytes: Record<string, number>; close(): Promise<void> }> {
  const bytes: Record<string, number> = {};
  const to = new URL(target);
  const server: Server = createServer((req, res) => {
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
    req.on('data', (chunk: Buffer) => (bytes[req.method!] = (bytes[req.method!] ?? 0) + chunk.length));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
