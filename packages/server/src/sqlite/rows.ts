import type { FileMetadata } from '@org/core';
import type { ApiKeyRecord, ContentRecord, FileRecord, Scope, UploadSession } from '../store/store.js';

/** Row shapes of the embedded store and their conversion to records. */
export interface FileRow extends Omit<FileRecord, 'is_symlink'> {
  is_symlink: number;
}

export function fileFromRow(row: FileRow): FileRecord {
  return { ...row, is_symlink: row.is_symlink === 1 };
}

export function fileParams(meta: FileMetadata, id: string, now: string): Record<string, unknown> {
  return {
    id,
    hostname: meta.hostname,
    filepath: meta.filepath,
    ip_address: meta.ip_address,
    sha256: meta.sha256,
    file_size: meta.file_size,
    file_mode: meta.file_mode,
    file_uid: meta.file_uid,
    file_gid: meta.file_gid,
    file_mtime: meta.file_mtime,
    file_atime: meta.file_atime,
    file_ctime: meta.file_ctime,
    is_symlink: meta.is_symlink ? 1 : 0,
    link_target: meta.link_target ?? null,
    now,
  };
}

export type ContentRow = ContentRecord;

export interface ApiKeyRow extends Omit<ApiKeyRecord, 'scopes' | 'is_active'> {
  scopes: string;
  is_active: number;
}

export function apiKeyFromRow(row: ApiKeyRow): ApiKeyRecord {
  return { ...row, scopes: JSON.parse(row.scopes) as Scope[], is_active: row.is_active === 1 };
}

export interface UploadRow extends Omit<UploadSession, 'parts' | 'metadata'> {
  parts: string;
  metadata: string;
}

export function uploadFromRow(row: UploadRow): UploadSession {
  return {
    ...row,
    parts: JSON.parse(row.parts) as UploadSession['parts'],
    metadata: JSON.parse(row.metadata) as Record<string, string>,
  };
}
