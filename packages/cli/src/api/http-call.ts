import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UfsError, formatBytes, redactUrl } from '@org/core';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Most bytes of an answer read (JSON answers of the dedup server are far smaller; a larger one is refused). */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

function tooLarge(url: string, method: string, limit: number, size?: number): UfsError {
  const what =
    size === undefined ? `more than ${formatBytes(limit)}` : `${formatBytes(size)}, more than ${formatBytes(limit)}`;
  return new UfsError('TOO_LARGE', `[ufs] [server] ${method} ${redactUrl(url)}: the answer is too large (${what})`, {
    retryable: false,
    context: { backend: 'server', operation: method, path: redactUrl(url), limit },
  });
}

/**
 * One HTTP request with a small body, its answer read whole as text, up to `maxBytes` (default MAX_ANSWER_BYTES):
 * a larger answer (by its Content-Length, or as it arrives) is cut off and fails with TOO_LARGE naming the URL.
 * node:http (kept-alive sockets of the global agents) rather than fetch: the first fetch of a process loads undici
 * and compiles its WebAssembly HTTP parser, ~0.1 s of a short `ufs scan` even with the baseline compiler that
 * bin/run.js keeps (see there). An abort by `signal` fails with the signal's reason when it has one (a TimeoutError
 * for AbortSignal.timeout).
 */
export function httpCall(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal; maxBytes?: number },
): Promise<HttpAnswer> {
  const { signal, method } = options;
  const limit = options.maxBytes ?? MAX_ANSWER_BYTES;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers = body ? { ...options.headers, 'content-length': String(body.length) } : options.headers;
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise<HttpAnswer>((resolve, reject) => {
    // The reason, not Node's generic AbortError: it tells a timeout (TimeoutError) from a stop (AbortError).
    const fail = (err: unknown) => reject(signal?.aborted && typeof signal.reason === 'object' ? signal.reason : err);
    const req = send(url, { method, headers, ...(signal ? { signal } : {}) }, (res) => {
      const refuse = (size?: number) => {
        reject(tooLarge(url, method, limit, size));
        // The rest of the answer is not read: the connection goes (it cannot serve another request).
        res.destroy();
        req.destroy();
      };
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) return refuse(declared);
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limit) refuse();
        else chunks.push(chunk);
      });
      res.once('error', fail);
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.once('error', fail);
    req.end(body);
  });
}
