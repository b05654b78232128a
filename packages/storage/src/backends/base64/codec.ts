import { UfsError } from '@org/core';

/**
 * Keys of the base64 backend ARE the content: the base64url encoding (RFC 4648 §5: `A-Z a-z 0-9 - _`) of the
 * bytes, `=` padding optional. A key may be cut into chunks separated by `/` (the chunks are simply concatenated),
 * so that long contents fit the 255-byte segment limit of normalised keys. The empty content is the key `=` (the
 * empty key is the mount root). Standard base64 (`+`, `/`) is NOT accepted: its `/` would be read as a chunk
 * separator, and a trailing `/` would be silently dropped by key normalisation.
 */

/** Longest chunk `encodeKey` writes: a multiple of 4 below the 255-byte segment limit. */
export const KEY_CHUNK_LENGTH = 252;

/** The key of the empty content. */
export const EMPTY_CONTENT_KEY = '=';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const KEY_SHAPE = /^([A-Za-z0-9_-]*)(={0,2})$/;

/** A parsed content key: the base64url characters without padding, and the decoded size. */
export interface ContentKey {
  data: string;
  size: number;
}

/** Why `key` is not a content key, or undefined when it is one. */
export function explainInvalidKey(key: string): string | undefined {
  return parse(key).why;
}

/** Parses a key into its base64url data; undefined when the key encodes nothing (wrong alphabet, length, bits). */
export function parseContentKey(key: string): ContentKey | undefined {
  return parse(key).parsed;
}

function parse(key: string): { parsed?: ContentKey; why?: string } {
  const joined = key.includes('/') ? key.split('/').join('') : key;
  const match = KEY_SHAPE.exec(joined);
  if (!match)
    return { why: 'not a base64url key (content keys use A-Z a-z 0-9 "-" "_", "=" padding, "/" between chunks)' };
  const data = match[1] ?? '';
  const padding = match[2] ?? '';
  if (data === '') {
    return padding === EMPTY_CONTENT_KEY
      ? { parsed: { data: '', size: 0 } }
      : { why: 'the empty content is the key "="' };
  }
  const rest = data.length % 4;
  if (rest === 1) return { why: `a base64url key cannot be ${data.length} characters long` };
  if (padding !== '' && (data.length + padding.length) % 4 !== 0) return { why: 'wrong "=" padding' };
  // Canonical form only: the unused low bits of the last character must be zero, so one content has one key.
  const last = ALPHABET.indexOf(data[data.length - 1]!);
  if ((rest === 2 && (last & 0x0f) !== 0) || (rest === 3 && (last & 0x03) !== 0)) {
    return { why: 'not a canonical base64url encoding (unused bits are set)' };
  }
  const size = Math.floor(data.length / 4) * 3 + (rest === 0 ? 0 : rest - 1);
  return { parsed: { data, size } };
}

/**
 * Decodes bytes [start, endExclusive) of a content key: only the 4-character groups covering the range are
 * decoded, so a small range of a large key costs little.
 */
export function decodeRange(key: ContentKey, start: number, endExclusive: number): Buffer {
  if (endExclusive <= start) return Buffer.alloc(0);
  const firstGroup = Math.floor(start / 3);
  const lastGroup = Math.ceil(endExclusive / 3);
  const bytes = Buffer.from(key.data.slice(firstGroup * 4, lastGroup * 4), 'base64url');
  return bytes.subarray(start - firstGroup * 3, endExclusive - firstGroup * 3);
}

export interface EncodeKeyOptions {
  /** Cut the key into chunks of this many characters joined by `/` (a multiple of 4). Default 252; 0 = no cut. */
  chunkLength?: number;
}

/** The key of some content: base64url without padding, in `/`-separated chunks of 252 characters. */
export function encodeKey(bytes: Uint8Array, options: EncodeKeyOptions = {}): string {
  const chunkLength = options.chunkLength ?? KEY_CHUNK_LENGTH;
  if (!Number.isInteger(chunkLength) || chunkLength < 0 || chunkLength % 4 !== 0) {
    throw new UfsError('INVALID_INPUT', `[ufs] [base64] chunkLength must be a multiple of 4, got ${chunkLength}`);
  }
  if (bytes.byteLength === 0) return EMPTY_CONTENT_KEY;
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
  if (chunkLength === 0 || data.length <= chunkLength) return data;
  const chunks: string[] = [];
  for (let i = 0; i < data.length; i += chunkLength) chunks.push(data.slice(i, i + chunkLength));
  return chunks.join('/');
}

/** A `data:` URI of some bytes (standard base64 payload). */
export function dataUri(bytes: Uint8Array, mediaType = 'application/octet-stream'): string {
  return `data:${mediaType};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

/** Parses a `data:` URI (RFC 2397: base64 or percent-encoded payload). INVALID_INPUT when it is not one. */
export function fromDataUri(uri: string): { mediaType: string; bytes: Buffer } {
  const invalid = (why: string) =>
    new UfsError('INVALID_INPUT', `[ufs] [base64] not a data: URI (${why})`, { context: { operation: 'parse' } });
  if (!/^data:/i.test(uri)) throw invalid('it must start with "data:"');
  const comma = uri.indexOf(',');
  if (comma < 0) throw invalid('no "," before the payload');
  const header = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  const params = header.split(';');
  const isBase64 = params.length > 1 && params[params.length - 1]!.toLowerCase() === 'base64';
  if (isBase64) params.pop();
  const mediaType = params.join(';') || 'text/plain;charset=US-ASCII';
  if (!isBase64) {
    try {
      return { mediaType, bytes: percentDecodeBytes(payload) };
    } catch {
      throw invalid('bad percent-encoding');
    }
  }
  let compact: string;
  try {
    compact = decodeURIComponent(payload).replace(/\s+/g, '');
  } catch {
    throw invalid('bad percent-encoding');
  }
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) throw invalid('the base64 payload has characters outside base64');
  return { mediaType, bytes: Buffer.from(compact.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url') };
}

/** The content key of a `data:` URI. */
export function keyFromDataUri(uri: string, options?: EncodeKeyOptions): string {
  return encodeKey(fromDataUri(uri).bytes, options);
}

function percentDecodeBytes(text: string): Buffer {
  const parts: Buffer[] = [];
  for (const piece of text.split(/(%[0-9a-fA-F]{2})/)) {
    if (/^%[0-9a-fA-F]{2}$/.test(piece)) parts.push(Buffer.from([parseInt(piece.slice(1), 16)]));
    else if (piece.includes('%')) throw new Error('bad escape');
    else parts.push(Buffer.from(piece));
  }
  return Buffer.concat(parts);
}
