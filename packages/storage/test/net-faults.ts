// Network faults on real TCP sockets on 127.0.0.1: a server that accepts connections and never answers, and a proxy
// that cuts each connection after a number of bytes from the server (a connection lost mid-download).
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpFault {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>): Promise<TcpFault> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Accepts every connection, reads what is sent and never answers; with `onRequest`, runs it once per connection when
 * the first bytes arrive (to answer part of a response and stall).
 */
export async function blackhole(onRequest?: (socket: Socket) => void): Promise<TcpFault> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    if (onRequest) socket.once('data', () => onRequest(socket));
    socket.resume();
  });
  return listen(server, sockets);
}

/**
 * Forwards to 127.0.0.1:`targetPort`; once a connection has carried more than `cutAfter` bytes from the server,
 * both sides are closed: with a reset (`how: 'reset'`, a dropped link) or a plain close (`'close'`, a dying proxy:
 * the client sees the connection end early). Other connections are untouched. After `times` cuts (default: no
 * limit), connections are no longer cut; with `afterCut`, connections made after a cut reach the server only once
 * the promise it returns has settled (a change made "while the client was cut off").
 */
export async function cuttingProxy(
  targetPort: number,
  cutAfter: number,
  how: 'reset' | 'close' = 'reset',
  options: { times?: number; afterCut?: () => Promise<unknown> } = {},
): Promise<TcpFault & { cuts: number }> {
  const { times = Infinity, afterCut } = options;
  const sockets = new Set<Socket>();
  const state: { cuts: number; changed?: Promise<unknown> } = { cuts: 0 };
  const server = createServer((client) => {
    if (!state.changed) return forward(client);
    client.pause();
    sockets.add(client);
    client.on('error', () => {});
    const go = () => {
      if (!client.destroyed) forward(client);
    };
    void state.changed.then(go, go);
  });
  function forward(client: Socket) {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    let down = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      down += chunk.length;
      if (down > cutAfter && state.cuts < times) {
        state.cuts++;
        if (afterCut) state.changed ??= afterCut();
        if (how === 'reset') client.resetAndDestroy();
        else client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
  const fault = await listen(server, sockets);
  return Object.defineProperty(fault, 'cuts', { get: () => state.cuts }) as TcpFault & { cuts: number };
}

/** Resolves with how long `promise` took to settle; rejects when it is still pending after `limitMs`. */
export async function settlesWithin<T>(limitMs: number, promise: Promise<T>): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${limitMs} ms`)), limitMs);
  });
  try {
    await Promise.race([promise.then(undefined, () => undefined), limit]);
  } finally {
    clearTimeout(timer);
  }
  return Date.now() - started;
}
