import { request } from 'node:http';
import { RawConnection, rawRequest } from './raw-http.js';

export interface TusClient {
  create(
    sha256: string,
    length: number,
    extra?: Record<string, string>,
  ): Promise<{ status: number; location: string | null; body: string }>;
  head(location: string): Promise<{ status: number; offset: number; headers: Headers }>;
  patch(
    location: string,
    offset: number,
    chunk: Uint8Array | string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; offset: number; text: string }>;
  terminate(location: string): Promise<number>;
}

/** A minimal tus 1.0 client over fetch (what tus-js-client sends), for tests. */
export function tusClient(url: string, key: string): TusClient {
  const base = { 'x-api-key': key, 'tus-resumable': '1.0.0' };
  return {
    async create(sha256: string, length: number, extra: Record<string, string> = {}) {
      const meta = Object.entries({ sha256, ...extra })
        .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
        .join(',');
      const res = await fetch(`${url}/tus`, {
        method: 'POST',
        headers: { ...base, 'upload-length': String(length), 'upload-metadata': meta },
      });
      return { status: res.status, location: res.headers.get('location'), body: await res.text() };
    },
    async head(location: string) {
      const res = await fetch(`${url}${location}`, { method: 'HEAD', headers: base });
      return { status: res.status, offset: Number(res.headers.get('upload-offset')), headers: res.headers as Headers };
    },
    async patch(location: string, offset: number, chunk: Uint8Array | string, headers: Record<string, string> = {}) {
      const res = await fetch(`${url}${location}`, {
        method: 'PATCH',
        headers: {
          ...base,
          'content-type': 'application/offset+octet-stream',
          'upload-offset': String(offset),
          ...headers,
        },
        body: typeof chunk === 'string' ? chunk : new Uint8Array(chunk),
      });
      const text = await res.text();
      return { status: res.status, offset: Number(res.headers.get('upload-offset')), text };
    },
    async terminate(location: string) {
      return (await fetch(`${url}${location}`, { method: 'DELETE', headers: base })).status;
    },
  };
}

/** A PATCH whose body the test sends piece by piece: `send` writes, `end` finishes it; `answer` is its response. */
export function streamingPatch(url: string, location: string, key: string, total: number) {
  const req = request(`${url}${location}`, {
    method: 'PATCH',
    headers: {
      'x-api-key': key,
      'tus-resumable': '1.0.0',
      'upload-offset': '0',
      'content-type': 'application/offset+octet-stream',
      'content-length': String(total),
    },
  });
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
  });
  return {
    answer,
    send: (chunk: Buffer) => new Promise<void>((resolve) => req.write(chunk, () => resolve())),
    end: () => req.end(),
  };
}

/**
 * A PATCH of the upload at `location` (`length` bytes, from offset 0) over a raw connection, of which only `part` of
 * the body is sent: the connection, left open (the test goes silent, or cuts it with `close`).
 */
export async function partialPatch(
  server: { url: string; key: string },
  location: string,
  length: number,
  part: Buffer | string,
): Promise<RawConnection> {
  const connection = await RawConnection.open(server.url);
  await connection.write(
    rawRequest('PATCH', location, {
      'X-API-Key': server.key,
      'Tus-Resumable': '1.0.0',
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': 0,
      'Content-Length': length,
    }),
  );
  await connection.write(part);
  return connection;
}
