import type { z } from 'zod';
import type { fileMetadataSchema } from './file-metadata-schema.js';

// Types only: the zod schema (`@org/core/dedup-schema`) is not loaded by `@org/core` itself, because loading zod
// costs ~90 ms and every `ufs` command and hashing thread imports this package.

/** What a client sends (optional fields may be absent). */
export type FileMetadataInput = z.input<typeof fileMetadataSchema>;
/** A validated record (defaults applied). */
export type FileMetadata = z.output<typeof fileMetadataSchema>;

/** The record as the server answers it (PutPlace `FileMetadataResponse`). */
export interface FileMetadataResponse extends FileMetadata {
  _id: string;
  has_file_content: boolean;
  /** ISO-8601 UTC, or null when content was never uploaded. */
  file_uploaded_at: string | null;
  created_at: string;
  updated_at?: string;
}

/** Answer to `POST /put_file` (PutPlace `FileMetadataUploadResponse`). */
export interface FileMetadataUploadResponse extends FileMetadataResponse {
  upload_required: boolean;
  upload_url: string | null;
}

/** One bad field of a record: its dotted path (or `(body)`) and what is wrong with it. */
export type FileMetadataIssue = { path: string; message: string };
