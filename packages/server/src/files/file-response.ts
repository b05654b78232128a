import type { FileMetadataResponse, FileMetadataUploadResponse } from '@org/core';
import type { ContentRecord, FileRecord } from '../store/store.js';

/**
 * The record as PutPlace clients read it. `has_file_content` is derived from the content record of the hash, so
 * every record of one content is marked the moment the content is held (no per-record update to race on).
 */
export function fileResponse(record: FileRecord, content: ContentRecord | null | undefined): FileMetadataResponse {
  const { id, ...rest } = record;
  const held = content?.state === 'present';
  return {
    _id: id,
    ...rest,
    has_file_content: held || record.file_size === 0,
    file_uploaded_at: held ? content.uploaded_at : null,
  };
}

export function uploadResponse(record: FileRecord, content: ContentRecord | null): FileMetadataUploadResponse {
  const response = fileResponse(record, content);
  const required = !response.has_file_content;
  return { ...response, upload_required: required, upload_url: required ? `/upload_file/${record.sha256}` : null };
}
