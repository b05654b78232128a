import { Inject, Injectable } from '@nestjs/common';
import { UfsError, type FileMetadata, type FileMetadataResponse, type FileMetadataUploadResponse } from '@org/core';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { validate } from '../http/validate.js';
import { CatalogueEpoch } from '../store/catalogue-epoch.js';
import type { RevisionStep } from '../store/catalogue-revision.js';
import { METADATA_STORE, type ContentRecord, type FileQuery, type MetadataStore } from '../store/store.js';
import { putFileSchema } from './dto/file-input.js';
import { fileResponse, uploadResponse } from './file-response.js';
import { bindListCursor, unbindListCursor } from './list-cursor.js';

/** How one put_files batch moved the catalogue revision of each hostname it wrote (see RevisionStep). */
export type BatchRevisions = Record<string, RevisionStep>;

export interface BatchItemResult {
  _id: string;
  hostname: string;
  filepath: string;
  sha256: string;
  upload_required: boolean;
  upload_url: string | null;
}

/**
 * A record whose file_size is not the size of the content the server holds for its hash cannot be right (a hash
 * fixes its size): refused before anything is written (400, as an upload of another size is), so that no record
 * claims held content of another size. `index`: the record's place in a batch.
 */
function refuseContradiction(meta: FileMetadata, content: ContentRecord, index?: number): void {
  if (content.state !== 'present' || content.size === meta.file_size) return;
  const which = index === undefined ? 'the record' : `record files[${index}]`;
  throw new UfsError(
    'INVALID_INPUT',
    `[ufs] ${which} (${meta.hostname}:${meta.filepath}) declares file_size ${meta.file_size}, but the content of ` +
      `${meta.sha256} held here is ${content.size} bytes; nothing was stored (send the file's real size)`,
    { context: index === undefined ? { operation: 'put_file' } : { operation: 'put_files', record: index } },
  );
}

/**
 * File metadata: one record per (hostname, filepath). The record is written first and the content state read
 * after it, which is what makes a concurrent GC see the new reference (see GcService).
 */
@Injectable()
export class FilesService {
  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
    @Inject(CatalogueEpoch) private readonly epoch: CatalogueEpoch,
  ) {}

  async put(meta: FileMetadata): Promise<FileMetadataUploadResponse> {
    const held = await this.store.getContent(meta.sha256);
    if (held) refuseContradiction(meta, held);
    const record = await this.store.upsertFile(meta, new Date());
    return uploadResponse(record, await this.store.getContent(record.sha256));
  }

  async putMany(
    items: readonly unknown[],
  ): Promise<{ results: BatchItemResult[]; upload_required: string[]; catalogue_revisions: BatchRevisions }> {
    if (items.length > this.config.maxBatch) {
      throw new UfsError(
        'TOO_LARGE',
        `[ufs] a batch holds at most ${this.config.maxBatch} records (got ${items.length})`,
      );
    }
    // The index is in the message (older clients parse it) and, as `record`, in the error body.
    const metas = items.map((item, i) => validate(putFileSchema, item, `record files[${i}]`, { record: i }));
    const held = await this.store.getContents(metas.map((m) => m.sha256));
    metas.forEach((meta, i) => {
      const content = held.get(meta.sha256);
      if (content) refuseContradiction(meta, content, i);
    });
    const { records, revisions } = await this.store.upsertFilesRevised(metas, new Date());
    const contents = await this.store.getContents(records.map((r) => r.sha256));
    const results = records.map((record) => {
      const r = uploadResponse(record, contents.get(record.sha256) ?? null);
      const { _id, hostname, filepath, sha256, upload_required, upload_url } = r;
      return { _id, hostname, filepath, sha256, upload_required, upload_url };
    });
    const needed = [...new Set(results.filter((r) => r.upload_required).map((r) => r.sha256))];
    return { results, upload_required: needed, catalogue_revisions: Object.fromEntries(revisions) };
  }

  /** The catalogue revision of `hostname` (GET /catalogue?hostname=). */
  revision(hostname: string): Promise<string> {
    return this.store.catalogueRevision(hostname);
  }

  /** How many of `hostname`'s records lack their content (GET /catalogue?hostname=). */
  withoutContent(hostname: string): Promise<number> {
    return this.store.recordsWithoutContent(hostname);
  }

  /** One record of that hash (PutPlace `get_file`): the first by (hostname, filepath). */
  async getByHash(sha256: string): Promise<FileMetadataResponse> {
    const page = await this.store.listFiles({ sha256 }, { limit: 1 });
    const record = page.items[0];
    if (!record) throw new UfsError('NOT_FOUND', `[ufs] no file with sha256 ${sha256}`);
    return fileResponse(record, await this.store.getContent(sha256));
  }

  async getById(id: string): Promise<FileMetadataResponse> {
    const record = await this.store.getFile(id);
    if (!record) throw new UfsError('NOT_FOUND', `[ufs] no file with id ${JSON.stringify(id.slice(0, 100))}`);
    return fileResponse(record, await this.store.getContent(record.sha256));
  }

  /** A page of records; a cursor is bound to its query's filters (one of another query is 400, see list-cursor.ts). */
  async list(query: FileQuery, limit: number, cursor?: string) {
    const at = cursor === undefined ? undefined : unbindListCursor(query, cursor);
    const page = await this.store.listFiles(query, at === undefined ? { limit } : { limit, cursor: at });
    const contents = await this.store.getContents(page.items.map((r) => r.sha256));
    const next_cursor = page.cursor === undefined ? null : bindListCursor(query, page.cursor);
    return { items: page.items.map((r) => fileResponse(r, contents.get(r.sha256))), next_cursor };
  }

  /**
   * Deletes a record; its content stays until `gc` finds no record refers to it. The catalogue epoch changes before
   * and after the deletion (see CatalogueEpoch), not when there was no such record.
   */
  async remove(id: string): Promise<void> {
    const missing = () => new UfsError('NOT_FOUND', `[ufs] no file with id ${JSON.stringify(id.slice(0, 100))}`);
    if (!(await this.store.getFile(id))) throw missing();
    await this.epoch.bump();
    if (!(await this.store.deleteFile(id))) throw missing(); // another request deleted it (and bumps itself)
    await this.epoch.bump();
  }
}
