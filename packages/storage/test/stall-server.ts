// A real HTTP server on 127.0.0.1 whose every response stalls mid-body: `200`, `content-length: 1000000`, 1000 bytes,
// then nothing more and no close. It keeps the server side of each connection, to tell when the client let go of it.
import { createServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface StallServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** Requests received (`GET /a.txt`, …). */
  requests: string[];
  /** Connections the client has not closed yet. */
  open(): number;
  close(): Promise<void>;
}

export async function stallServer(
  headers: (path: string) => Record<string, string> = () => ({}),
): Promise<StallServer> {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    held.push(res);
    res.writeHead(200, { 'content-length': '1000000', ...headers(req.url ?? '/') });
    res.write(Buffer.alloc(1000, 65));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
