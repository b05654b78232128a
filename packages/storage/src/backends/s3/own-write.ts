import { createHash, type Hash } from 'node:crypto';
import { HeadObjectCommand, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { S3Context } from './context.js';
import { unquoteEtag } from './keys.js';

/**
 * The ETags S3 gives what a write sent, computed as it is sent: the MD5 of the whole body (one PutObject) and, for a
 * multipart upload in parts of `partSize` (lib-storage cuts a stream at exactly that size), the MD5 of the parts'
 * MD5s followed by `-<parts>`.
 */
export class SentDigest {
  private readonly whole = createHash('md5');
  private readonly parts: Buffer[] = [];
  private part: Hash = createHash('md5');
  private inPart = 0;
  size = 0;

  constructor(private readonly partSize: number) {}

  update(chunk: Uint8Array): void {
    this.whole.update(chunk);
    this.size += chunk.byteLength;
    for (let offset = 0; offset < chunk.byteLength;) {
      if (this.inPart === this.partSize) this.closePart();
      const take = Math.min(this.partSize - this.inPart, chunk.byteLength - offset);
      this.part.update(chunk.subarray(offset, offset + take));
      this.inPart += take;
      offset += take;
    }
  }

  private closePart(): void {
    this.parts.push(this.part.digest());
    this.part = createHash('md5');
    this.inPart = 0;
  }

  /** The ETags, lowercase and unquoted, once everything was sent: `[single PUT, multipart]`. */
  etags(): string[] {
    if (this.inPart > 0 || this.parts.length === 0) this.closePart();
    const single = this.whole.digest('hex');
    const multipart = `${createHash('md5').update(Buffer.concat(this.parts)).digest('hex')}-${this.parts.length}`;
    return [single, multipart];
  }
}

/** The MD5 ETag of bytes sent in one PutObject. */
export function md5Etag(body: Uint8Array): string {
  return createHash('md5').update(body).digest('hex');
}

/**
 * A 412 (PreconditionFailed) of a conditional write (`If-None-Match: *`) that the SDK sent more than once: the
 * answer to an earlier attempt may have been lost after the server stored the object, and the retry then met the
 * write's own object.
 */
export function isRetriedPreconditionFailure(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { $metadata, name, Code } = err as {
    $metadata?: { httpStatusCode?: number; attempts?: number };
    name?: unknown;
    Code?: unknown;
  };
  const refused = $metadata?.httpStatusCode === 412 || Code === 'PreconditionFailed' || name === 'PreconditionFailed';
  return refused && ($metadata?.attempts ?? 1) > 1;
}

/**
 * The object now at `objectKey` when it is the one this write sent (the same size and an ETag among `etags`), else
 * undefined: another writer's object (or one encrypted so that its ETag is no MD5) keeps the write's refusal.
 */
export async function ownObject(
  s3: S3Context,
  objectKey: string,
  size: number,
  etags: readonly string[],
  signal?: AbortSignal,
): Promise<HeadObjectCommandOutput | undefined> {
  try {
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: objectKey }), {
      abortSignal: signal,
    });
    const etag = unquoteEtag(head.ETag)?.toLowerCase();
    return head.ContentLength === size && etag !== undefined && etags.includes(etag) ? head : undefined;
  } catch {
    return undefined; // not to be seen: the write's own error stands
  }
}
