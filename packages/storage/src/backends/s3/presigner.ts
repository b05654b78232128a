import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { PresignOptions } from '@org/core';
import type { S3Context } from './context.js';

/** SigV4 presigned URLs live at most 7 days. */
/** SigV4 presigned URLs last at most 7 days. */
export const MAX_EXPIRY = 7 * 24 * 3600;

function checkExpiry(s3: S3Context, operation: string, key: string, expiresIn: number): void {
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRY) {
    const why = `expiresIn must be a whole number of seconds from 1 to ${MAX_EXPIRY} (7 days), got ${expiresIn}`;
    throw s3.error('INVALID_INPUT', operation, key, why);
  }
}

/** A presigned GET; `disposition` and `contentType` become the response's headers. */
export async function presignGet(s3: S3Context, key: string, options: PresignOptions): Promise<string> {
  checkExpiry(s3, 'presignGet', key, options.expiresIn);
  try {
    const command = new GetObjectCommand({
      Bucket: s3.bucket,
      Key: s3.keys.object(key, 'presignGet'),
      ResponseContentDisposition: options.disposition,
      ResponseContentType: options.contentType,
    });
    return await getSignedUrl(s3.client, command, { expiresIn: options.expiresIn });
  } catch (err) {
    throw s3.fail(err, 'presignGet', key);
  }
}

/**
 * A presigned PUT. A given `contentType` is signed, so the uploader must send exactly that Content-Type. The SDK's
 * flexible checksum of the (empty) body is left out: it would make every non-empty upload fail its checksum.
 */
export async function presignPut(s3: S3Context, key: string, options: PresignOptions): Promise<string> {
  checkExpiry(s3, 'presignPut', key, options.expiresIn);
  try {
    const command = new PutObjectCommand({
      Bucket: s3.bucket,
      Key: s3.keys.object(key, 'presignPut'),
      ContentType: options.contentType,
    });
    command.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers?: Record<string, string> }).headers;
        for (const name of Object.keys(headers ?? {})) {
          if (/^x-amz-(checksum-|sdk-checksum-algorithm$)/i.test(name)) delete headers![name];
        }
        return next(args);
      },
      { step: 'build', priority: 'low', name: 'ufsPresignWithoutChecksum' },
    );
    return await getSignedUrl(s3.client, command, {
      expiresIn: options.expiresIn,
      ...(options.contentType ? { signableHeaders: new Set(['content-type']) } : {}),
    });
  } catch (err) {
    throw s3.fail(err, 'presignPut', key);
  }
}
