import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32cBase64, md5Base64, etagOf, type StoredObject, type WritableFields } from './gcs-store.js';

/** HTTP plumbing of the fake GCS server: bodies, JSON errors, multipart uploads, hash headers, media responses. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function fieldsFrom(value: Record<string, unknown>): WritableFields {
  const fields: WritableFields = {};
  if (typeof value.contentType === 'string') fields.contentType = value.contentType;
  if (typeof value.cacheControl === 'string') fields.cacheControl = value.cacheControl;
  if (typeof value.contentDisposition === 'string') fields.contentDisposition = value.contentDisposition;
  if (value.metadata === null || typeof value.metadata === 'object') {
    fields.metadata = value.metadata as WritableFields['metadata'];
  }
  return fields;
}

/** Splits a multipart/related upload body into its JSON metadata part and its media part. */
export function multipart(
  contentType: string,
  data: Buffer,
): { meta: Record<string, unknown>; media: Buffer; type?: string } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new HttpFailure(400, 'invalid', 'multipart upload without boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = data.indexOf(delimiter);
  while (at >= 0) {
    const next = data.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    parts.push(data.subarray(at + delimiter.length + 2, next - 2));
    at = next;
  }
  const split = (part: Buffer) => {
    const end = part.indexOf('\r\n\r\n');
    return { headers: part.subarray(0, end).toString(), content: part.subarray(end + 4) };
  };
  const [metaPart, mediaPart] = parts.map(split);
  if (!metaPart || !mediaPart) throw new HttpFailure(400, 'invalid', 'multipart upload needs two parts');
  const type = /content-type:\s*([^\r\n]+)/i.exec(mediaPart.headers)?.[1];
  return { meta: JSON.parse(metaPart.content.toString()) as Record<string, unknown>, media: mediaPart.content, type };
}

/** Checks the X-Goog-Hash header of an upload, as GCS does; returns the digests it computed. */
export function checkHashHeader(req: IncomingMessage, data: Buffer): { md5?: string; crc32c?: string } {
  const computed: { md5?: string; crc32c?: string } = {};
  for (const item of String(req.headers['x-goog-hash'] ?? '').split(',')) {
    const kind = item.slice(0, item.indexOf('=')).trim();
    const value = item.slice(item.indexOf('=') + 1).trim();
    if (kind !== 'md5' && kind !== 'crc32c') continue;
    const actual = kind === 'md5' ? md5Base64(data) : crc32cBase64(data);
    computed[kind] = actual;
    if (actual !== value) {
      throw new HttpFailure(400, 'invalid', `Provided ${kind} hash "${value}" doesn't match calculated "${actual}".`);
    }
  }
  return computed;
}

export function byteRange(header: string | undefined, size: number): [number, number] | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header) : null;
  if (!m) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') [start, end] = [Math.max(0, size - Number(m[2])), size - 1];
  else [start, end] = [Number(m[1]), m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)];
  if (start >= size)
    throw new HttpFailure(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.');
  return [start, end];
}

export function sendMedia(
  req: IncomingMessage,
  res: ServerResponse,
  object: StoredObject,
  overrides: URLSearchParams,
  corrupt = false,
): void {
  const size = object.data.length;
  const range = byteRange(req.headers.range, size);
  const [start, end] = range ?? [0, size - 1];
  const headers: Record<string, string | number> = {
    'content-type': overrides.get('response-content-type') ?? object.contentType,
    'content-length': Math.max(0, end - start + 1),
    etag: etagOf(object),
    'last-modified': object.updated.toUTCString(),
    'x-goog-generation': object.generation,
    'x-goog-metageneration': object.metageneration,
    'x-goog-stored-content-length': size,
    'x-goog-stored-content-encoding': 'identity',
    'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5}`,
  };
  if (object.cacheControl) headers['cache-control'] = object.cacheControl;
  const disposition = overrides.get('response-content-disposition') ?? object.contentDisposition;
  if (disposition) headers['content-disposition'] = disposition;
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  const bytes = Buffer.from(object.data.subarray(start, end + 1));
  if (corrupt && bytes.length > 0) bytes[0] = bytes[0]! ^ 0xff;
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
