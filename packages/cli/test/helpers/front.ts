import {
  createServer,
  request,
  type ClientRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type Served } from './serve.js';
import { sandbox } from './ufs.js';

export interface ForwardOptions {
  /**
   * Called with the server's answer instead of passing it on at once; `send` passes it on (call it later, or never,
   * to hold the answer back).
   */
  answer?: (answer: IncomingMessage, send: () => void) => void;
  /** Passes the request body on to the server itself (e.g. slowly) instead of piping it. */
  body?: (req: IncomingMessage, out: ClientRequest) => void;
  /** The client gone before its answer: so is the request to the server (which keeps what arrived). */
  cancelWithClient?: boolean;
}

export interface Front {
  box: Awaited<ReturnType<typeof sandbox>>;
  /** The real `ufs serve` behind the front. */
  server: Served;
  /** The front's URL. */
  url: string;
  /** The sandbox's environment, with UFS_SERVER the front and the server's API key. */
  env(): Record<string, string>;
  /** Passes a request the front got on to the server, and its answer back. */
  forward(req: IncomingMessage, res: ServerResponse, options?: ForwardOptions): void;
  /** Closes the front (and its connections), stops the server, removes the sandbox. */
  close(): Promise<void>;
}

/**
 * A real `ufs serve` (in a sandbox) behind a node:http front whose every request goes to `handle`: it answers,
 * holds or passes on (`front.forward`) each one as the test needs.
 */
export async function serveBehindFront(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Front> {
  const box = await sandbox();
  let server: Served;
  try {
    server = await serve([], box.env);
  } catch (error) {
    await box.cleanup();
    throw error;
  }
  const front: Server = createServer(handle);
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  return {
    box,
    server,
    url,
    env: () => ({ ...box.env, UFS_SERVER: url, UFS_API_KEY: server.apiKey! }),
    forward(req, res, options = {}) {
      const target = new URL(server.url);
      const out = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const send = () => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          };
          if (options.answer) options.answer(answer, send);
          else send();
        },
      );
      out.on('error', () => res.destroy());
      if (options.cancelWithClient) {
        res.once('close', () => {
          if (!res.writableFinished) out.destroy();
        });
      }
      if (options.body) options.body(req, out);
      else req.pipe(out);
    },
    async close() {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await server.stop();
      await box.cleanup();
    },
  };
}
