import { request } from 'node:http';

export interface PartialUpload {
  /** Resolves when the `head` bytes are written to the socket. */
  sent: Promise<void>;
  /** Resolves when the request ends: a response, or the connection dying. */
  ended: Promise<void>;
  /** The client leaves: closes the connection before the rest of the body. */
  cut(): void;
}

/** Sends `head` bytes of a body announced as `total` bytes, then nothing more (until the server dies or `cut`). */
export function partialUpload(
  url: string,
  path: string,
  key: string,
  head: Buffer,
  total: number,
  headers: Record<string, string>,
): PartialUpload {
  let written!: () => void;
  const sent = new Promise<void>((resolve) => (written = resolve));
  const req = request(`${url}${path}`, {
    method: headers['x-method'] ?? 'PUT',
    headers: { 'x-api-key': key, 'content-length': String(total), ...headers },
  });
  const ended = new Promise<void>((resolve) => {
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.on('response', (res) => {
      res.resume();
      resolve();
    });
    req.write(head, () => written());
  });
  return { sent, ended, cut: () => req.destroy() };
}

/** The headers of a tus PATCH at `offset`, for `partialUpload`. */
export function tusPatchHeaders(offset: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'x-method': 'PATCH',
    'tus-resumable': '1.0.0',
    'content-type': 'application/offset+octet-stream',
    'upload-offset': String(offset),
    ...extra,
  };
}
