import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { VersionInfo } from '@org/core';
import type { S3Context } from './context.js';
import { unquoteEtag } from './keys.js';

/** S3 orders keys by their UTF-8 bytes. */
function after(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) > 0;
}

/**
 * Every version and delete marker of exactly this key, newest first (ListObjectVersions lists the prefix, so
 * other keys that start the same are skipped, and listing stops once S3's order has passed the key).
 */
export async function versions(s3: S3Context, key: string): Promise<VersionInfo[]> {
  try {
    const objectKey = s3.keys.object(key, 'versions');
    const found: VersionInfo[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      const page = await s3.client.send(
        new ListObjectVersionsCommand({
          Bucket: s3.bucket,
          Prefix: objectKey,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      let passed = false;
      for (const v of page.Versions ?? []) {
        if (v.Key === objectKey && v.VersionId) {
          const info: VersionInfo = {
            versionId: v.VersionId,
            isLatest: v.IsLatest === true,
            isDeleteMarker: false,
            size: v.Size ?? 0,
          };
          if (v.LastModified) info.mtime = v.LastModified;
          const etag = unquoteEtag(v.ETag);
          if (etag) info.etag = etag;
          found.push(info);
        } else if (v.Key !== undefined && after(v.Key, objectKey)) passed = true;
      }
      for (const m of page.DeleteMarkers ?? []) {
        if (m.Key === objectKey && m.VersionId) {
          const info: VersionInfo = {
            versionId: m.VersionId,
            isLatest: m.IsLatest === true,
            isDeleteMarker: true,
            size: 0,
          };
          if (m.LastModified) info.mtime = m.LastModified;
          found.push(info);
        } else if (m.Key !== undefined && after(m.Key, objectKey)) passed = true;
      }
      if (!page.IsTruncated || passed) break;
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
    }
    return found.sort(
      (a, b) => Number(b.isLatest) - Number(a.isLatest) || (b.mtime?.getTime() ?? 0) - (a.mtime?.getTime() ?? 0),
    );
  } catch (err) {
    throw s3.fail(err, 'versions', key);
  }
}
