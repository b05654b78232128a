import type { FileMetadataResponse, FileMetadataUploadResponse } from '@org/core';
import type { ContentRecord, FileRecord } from '../store/store.js';

/** SHA-256 of the empty content: the server always holds it, with no object and no upload. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * The record as PutPlace clients read it. `has_file_content` is derived from the content record of the hash, so
 * every record of one content is marked the moment the content is held (no per-record update to race on). A record
 * of size 0 is held without an upload only when its hash is that of the empty content: a file that reports size 0
 * but hashed to something else (a /proc or /sys pseudo-file, a file written between stat and read) has content the
 * server does not hold, so its upload is asked for like any other.
 */
export function fileResponse(record: FileRecord, content: ContentRecord | null | undefined): FileMetadataResponse {
  const { id, ...rest } = record;
  // Held content of another size is not this record's (its file_size is wrong: put_file refuses such a record when
  // the content is held first; one written before the content arrived stays unmarked, its upload refused).
  const held = content?.state === 'present' && content.size === record.file_size;
  return {
    _id: id,
    ...rest,
    has_file_content: held || (record.file_size === 0 && record.sha256 === EMPTY_SHA256),
    file_uploaded_at: held ? content.uploaded_at : null,
  };
}

export function uploadResponse(record: FileRecord, content: ContentRecord | null): FileMetadataUploadResponse {
  const response = fileResponse(record, content);
  const required = !response.has_file_content;
  return { ...response, upload_required: required, upload_url: required ? `/upload_file/${record.sha256}` : null };
}
