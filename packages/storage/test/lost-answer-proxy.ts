// A reverse proxy on 127.0.0.1 in front of a real server that loses one chosen answer: the request is forwarded and
// the server does the work, then the client's connection is closed instead of answering (the answer lost on the
// way back). Every other request goes through unchanged (Host included, so signatures stay valid).
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';

export interface LostAnswerProxy {
  /** `http://127.0.0.1:<port>` plus the target's path. */
  url: string;
  /** Requests seen, as `METHOD path` (path with its query). */
  seen: string[];
  /** Answers lost so far. */
  lost: number;
  close(): Promise<void>;
}

/**
 * Forwards to `target`; the first `times` requests for which `lose(req)` is true are answered by the server and
 * then their connection is reset (never answered). A request whose socket `lose` destroyed is not forwarded.
 */
export async function lostAnswerProxy(
  target: string,
  lose: (req: IncomingMessage) => boolean,
  times = 1,
): Promise<LostAnswerProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const state = { seen: [] as string[], lost: 0 };
  const server: Server = createServer((req, res) => {
    state.seen.push(`${req.method} ${req.url}`);
    const drop = state.lost < times && lose(req);
    if (req.socket.destroyed) return; // `lose` reset it before it was forwarded: the server never hears of it
    if (drop) state.lost++;
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (drop) {
          // The server has answered: the work is done. The client never hears of it.
          answer.resume();
          answer.on('end', () => req.socket.resetAndDestroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => req.socket.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname === '/' ? '' : upstream.pathname}`,
    seen: state.seen,
    get lost() {
      return state.lost;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
