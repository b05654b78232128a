import { keyError } from '../../errors.js';
import { isAddressable } from '../../util/key-names.js';
import { MTIME_KEY } from '../../util/mtime-metadata.js';

/**
 * Maps backend keys (normalised, relative, '' = root) to object keys inside the bucket under the mount's prefix,
 * and back.
 */
export class KeyMap {
  /** `prefix/` or '' when the mount is the whole bucket. */
  private readonly base: string;

  constructor(
    readonly bucket: string,
    prefix: string | undefined,
    /** The mount's name, for errors. */
    readonly mount = 's3',
  ) {
    this.base = prefix ? `${prefix}/` : '';
  }

  /** The object key of a file. The root is a folder, never an object. */
  object(key: string, operation: string): string {
    if (key === '') {
      const context = { bucket: this.bucket };
      throw keyError(
        'INVALID_INPUT',
        { mount: this.mount, protocol: 's3' },
        operation,
        key,
        'the root is a folder, not an object',
        { context },
      );
    }
    return this.base + key;
  }

  /** The listing prefix of a folder: `prefix/key/`, or the mount's base for the root. */
  folder(key: string): string {
    return key === '' ? this.base : `${this.base}${key}/`;
  }

  /**
   * The backend key of an object key below the mount, or undefined when it cannot be one (outside, empty or dot
   * segments, not NFC).
   * Listings report such keys (see `unaddressable` in lister.ts), never pass over them in silence.
   */
  relative(objectKey: string): string | undefined {
    if (!objectKey.startsWith(this.base)) return undefined;
    const key = objectKey.slice(this.base.length);
    return isAddressable(key) ? key : undefined;
  }

  /** `bucket/key` percent-encoded per segment, the form `CopySource` wants. */
  copySource(objectKey: string): string {
    return `${encodeURIComponent(this.bucket)}/${encodePath(objectKey)}`;
  }
}

// Moved to util/key-names.ts (Azure and GCS listings report such keys too).
export { isAddressable, unaddressableReason } from '../../util/key-names.js';

/** Percent-encodes each segment of a key as RFC 3986 wants (also `!'()*`), keeping the slashes. */
export function encodePath(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

// RFC 7230 token characters: what an HTTP header name (x-amz-meta-<name>) may contain.
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// The names S3 stores as they are: header tokens, lower-case (S3 lower-cases names), without "_" (radosgw turns it
// into "-").
const KEPT_NAME = /^[!#$%&'*+.^`|~0-9a-z-]+$/;
const PLAIN_VALUE = /^[\u0020-\u007e]*$/;
const ENCODED_WORD = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i;

interface Where {
  operation: string;
  path: string;
  mount: string;
}

function refuse(where: Where, why: string): never {
  throw keyError('INVALID_INPUT', { mount: where.mount, protocol: 's3' }, where.operation, where.path, why);
}

/**
 * Refuses user metadata that S3 would not give back as it was given: a name it would change (S3 lower-cases names,
 * radosgw turns "_" into "-") or that is not allowed in a header, and the name `mtime` (any case), which holds the
 * kept modification time (`WriteOptions.mtime` sets it). Values are always kept (see encodeMetadata).
 */
export function checkMetadata(metadata: Record<string, string> | undefined, where: Where): void {
  for (const name of Object.keys(metadata ?? {})) {
    const shown = JSON.stringify(name);
    if (name.toLowerCase() === MTIME_KEY) {
      refuse(where, `metadata name ${shown} is reserved for the kept modification time (pass mtime instead)`);
    }
    if (!HEADER_TOKEN.test(name)) {
      refuse(where, `metadata name ${shown} is not allowed in an HTTP header (use lower-case letters, digits and "-")`);
    }
    if (!KEPT_NAME.test(name)) {
      const why = `metadata name ${shown} would not be kept as it is (S3 lower-cases names and radosgw turns "_" into "-"): use lower-case letters, digits, "-" and "."`;
      refuse(where, why);
    }
  }
}

/**
 * User metadata for S3 headers: names must be header tokens (S3 stores them lower-cased; `checkMetadata` refuses
 * those it would change, where the user gives them); values that are not printable ASCII, or that start or end with
 * a space (HTTP trims header values), are sent as RFC 2047 encoded words (what AWS itself does with non-ASCII values)
 * and decoded on the way back by `decodeMetadata`.
 */
export function encodeMetadata(
  metadata: Record<string, string> | undefined,
  where: Where,
): Record<string, string> | undefined {
  if (!metadata) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (!HEADER_TOKEN.test(name)) {
      refuse(
        where,
        `metadata name ${JSON.stringify(name)} is not allowed in an HTTP header (use letters, digits and "-")`,
      );
    }
    const text = String(value);
    out[name.toLowerCase()] =
      PLAIN_VALUE.test(text) && text.trim() === text && !ENCODED_WORD.test(text)
        ? text
        : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
  }
  return out;
}

export function decodeMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata ?? {})) {
    const encoded = ENCODED_WORD.exec(value);
    out[name] = encoded ? Buffer.from(encoded[1]!, 'base64').toString('utf8') : value;
  }
  return out;
}

/** S3 ETags come quoted; a single-part, non-KMS ETag is the MD5 of the content (multipart ones end in `-N`). */
export function unquoteEtag(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

export function md5FromEtag(
  etag: string | undefined,
  encryption: { sse?: string | undefined; sseCustomer?: string | undefined } = {},
): { algorithm: 'md5'; value: string } | undefined {
  if (!etag || !/^[0-9a-f]{32}$/i.test(etag)) return undefined;
  // SSE-KMS and SSE-C objects have ETags that are not the MD5 of the plaintext.
  if (encryption.sseCustomer || (encryption.sse && encryption.sse.startsWith('aws:kms'))) return undefined;
  return { algorithm: 'md5', value: etag.toLowerCase() };
}
