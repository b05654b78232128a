import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UploadFileOptions } from '../../src/index.js';
import { FAST_RETRY } from '../helpers.js';

export interface PlainHttpServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** A local server speaking plain HTTP (no TLS) that reads each request and answers `answer(url)` (200). */
export async function plainHttpServer(answer: (url: string) => string): Promise<PlainHttpServer> {
  let url = '';
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(answer(url)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Upload options for these tests: fast retries, no verification, a minute at most; `extra` added. */
export const plainHttpOptions = (extra: UploadFileOptions): UploadFileOptions => ({
  retry: FAST_RETRY,
  verify: false,
  signal: AbortSignal.timeout(60_000),
  ...extra,
});
