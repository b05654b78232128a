import { UfsError } from '@org/core';
import type { FileRecord, MetadataStore } from '../store/store.js';

/** Checks the size of uploaded content before it is stored (see ContentService.ingest); throws to store nothing. */
export type SizeCheck = (bytes: number) => Promise<void>;

/** What a size is of, in a refusal: the bytes that arrived, or (tus creation) the length an upload announces. */
export type SizeSubject = 'the uploaded content' | "the upload's Upload-Length";

function sizeMismatch(bytes: number, declared: string, subject: SizeSubject = 'the uploaded content'): UfsError {
  return new UfsError(
    'INVALID_INPUT',
    `[ufs] ${subject} is ${bytes} bytes but ${declared}; nothing was stored (send the file's bytes, ` +
      'or put_file its record again with the right file_size)',
    { context: { operation: 'upload' } },
  );
}

/** `upload_file` for one record: the content must have the record's file_size. */
export function recordSize(record: FileRecord): SizeCheck {
  return (bytes) =>
    bytes === record.file_size
      ? Promise.resolve()
      : Promise.reject(
          sizeMismatch(
            bytes,
            `the file record at ${record.hostname}:${record.filepath} declares file_size ${record.file_size}`,
          ),
        );
}

/**
 * `PUT /files/{sha256}/content` for the records of its hash, when there are any: the content must have the file_size
 * of at least one of them (content no record declares is taken as it is). A tus creation (`POST /tus`) checks its
 * Upload-Length by the same rule, `subject` naming it, so that an upload bound to be refused is refused before any
 * byte is sent; the upload's last byte checks again, as PUT does (a record may have been put meanwhile).
 */
export function recordsSize(
  store: MetadataStore,
  sha256: string,
  subject: SizeSubject = 'the uploaded content',
): SizeCheck {
  return async (bytes) => {
    let first: FileRecord | undefined;
    let cursor: string | undefined;
    do {
      const page = await store.listFiles({ sha256 }, cursor === undefined ? { limit: 100 } : { limit: 100, cursor });
      if (page.items.some((record) => record.file_size === bytes)) return;
      first ??= page.items[0];
      cursor = page.cursor;
    } while (cursor !== undefined);
    if (!first) return;
    throw sizeMismatch(
      bytes,
      `the file records of ${sha256} declare file_size ${first.file_size} (${first.hostname}:${first.filepath})`,
      subject,
    );
  };
}
