import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * One HTTP request with a small body, its answer read whole as text. node:http (kept-alive sockets of the global
 * agents) rather than fetch: the first fetch of a process loads undici and compiles its WebAssembly HTTP parser,
 * ~0.1 s of a short `ufs scan` even with the baseline compiler that bin/run.js keeps (see there). An abort by
 * `signal` fails with the signal's reason when it has one (a TimeoutError for AbortSignal.timeout).
 */
export function httpCall(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
): Promise<HttpAnswer> {
  const { signal } = options;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers = body ? { ...options.headers, 'content-length': String(body.length) } : options.headers;
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise<HttpAnswer>((resolve, reject) => {
    // The reason, not Node's generic AbortError: it tells a timeout (TimeoutError) from a stop (AbortError).
    const fail = (err: unknown) => reject(signal?.aborted && typeof signal.reason === 'object' ? signal.reason : err);
    const req = send(url, { method: options.method, headers, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', fail);
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.once('error', fail);
    req.end(body);
  });
}
