import { Injectable } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import type { Connection, Model } from 'mongoose';
import { Types } from 'mongoose';
import { UfsError, type FileMetadata } from '@org/core';
import { serverFault } from '../http/server-fault.js';
import { decodeCursor, encodeCursor, escapeRegExp } from '../store/cursor.js';
import type {
  ApiKeyRecord,
  ContentPatch,
  ContentRecord,
  FileQuery,
  FileRecord,
  MetadataStore,
  Page,
  PageRequest,
  RevisedFiles,
  UploadPart,
  UploadSession,
} from '../store/store.js';
import { ApiKeyDoc } from './schemas/api-key.schema.js';
import { ContentDoc } from './schemas/content.schema.js';
import { CounterDoc } from './schemas/counter.schema.js';
import { FileDoc } from './schemas/file.schema.js';
import { upsertFileBatch, upsertOneFile } from './file-upserts.js';
import { readRevision, revisionsOf, withRevisions } from './catalogue-revisions.js';
import { countMissing, markContent, missingContent } from './content-gaps.js';
import { LeaseDoc } from './schemas/lease.schema.js';
import { SettingDoc } from './schemas/setting.schema.js';
import { UploadDoc } from './schemas/upload.schema.js';
import {
  apiKeyFromDoc,
  contentFromDoc,
  fileFromDoc,
  isDuplicateKey,
  isObjectIdHex,
  isUnreachable,
  uploadFromDoc,
} from './mongo-records.js';

/** Collection of readiness probes (probeWrite): one document, never read by the API. */
export const PROBE_COLLECTION = 'probe';

/* eslint-disable @typescript-eslint/no-explicit-any -- lean documents are mapped by mongo-records.ts */

/**
 * MongoDB store: a thin adapter. Each primitive is one native atomic operation: `findOneAndUpdate` with upsert
 * on the unique (hostname, filepath) index, `insertOne` + duplicate-key for insert-if-absent,
 * `findOneAndUpdate({version})` for compare-and-set, `$inc` upserts for counters (TTL index expires them).
 */
@Injectable()
export class MongoStore implements MetadataStore {
  readonly kind = 'mongo';
  readonly description: string;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @InjectModel(FileDoc.name) private readonly files: Model<FileDoc>,
    @InjectModel(ContentDoc.name) private readonly content: Model<ContentDoc>,
    @InjectModel(ApiKeyDoc.name) private readonly keys: Model<ApiKeyDoc>,
    @InjectModel(CounterDoc.name) private readonly counters: Model<CounterDoc>,
    @InjectModel(UploadDoc.name) private readonly uploads: Model<UploadDoc>,
    @InjectModel(SettingDoc.name) private readonly settings: Model<SettingDoc>,
    @InjectModel(LeaseDoc.name) private readonly leases: Model<LeaseDoc>,
  ) {
    this.description = `mongo db ${connection.name}`;
  }

  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UfsError) throw err;
      // The driver's message (host names, addresses) is for the log: clients get a generic one (errorResponse).
      if (isUnreachable(err)) {
        throw new UfsError('UNAVAILABLE', `[ufs] [mongo] ${operation}: ${(err as Error).message}`, {
          cause: err,
          context: { backend: 'mongo', operation },
        });
      }
      // A unique-index race that outlasted its retries: transient, not the server's fault nor the client's.
      if (isDuplicateKey(err)) {
        throw new UfsError('UNAVAILABLE', `[ufs] [mongo] ${operation}: concurrent writes of the same key; retry`, {
          cause: err,
          retryable: true,
          context: { backend: 'mongo', operation },
        });
      }
      // Whatever the driver called it, a failure of the store is the server's (never a client's 4xx).
      throw serverFault(err, { backend: 'mongo', operation });
    }
  }

  async ping(): Promise<void> {
    await this.run('ping', async () => {
      if (!this.connection.db) throw new UfsError('UNAVAILABLE', '[ufs] [mongo] ping: not connected');
      await this.connection.db.admin().ping();
    });
  }

  /** An upsert of one document of the `probe` collection (write concern: the connection's, as every write). */
  async probeWrite(): Promise<void> {
    await this.run('probe write', async () => {
      const db = this.connection.db;
      if (!db) {
        throw new UfsError('UNAVAILABLE', '[ufs] [mongo] probe write: not connected', {
          context: { backend: 'mongo', operation: 'probe write' },
        });
      }
      await db
        .collection<{ _id: string; count: number; at: Date }>(PROBE_COLLECTION)
        .updateOne({ _id: 'probe' }, { $inc: { count: 1 }, $set: { at: new Date() } }, { upsert: true });
    });
  }

  async close(): Promise<void> {
    // The connection belongs to MongooseModule, which closes it on application shutdown.
  }

  // ---- files
  // Each write of a host's records advances its catalogue revision before and after (see withRevisions).
  upsertFile(meta: FileMetadata, now: Date): Promise<FileRecord> {
    return this.run('upsert file', async () => {
      const [missing] = await missingContent(this.content, [meta]);
      const write = () => upsertOneFile(this.files, meta, now.toISOString(), missing!);
      return (await withRevisions(revisionsOf(this.connection.db), [meta.hostname], write)).result;
    });
  }

  async upsertFiles(metas: readonly FileMetadata[], now: Date): Promise<FileRecord[]> {
    return (await this.upsertFilesRevised(metas, now)).records;
  }

  upsertFilesRevised(metas: readonly FileMetadata[], now: Date): Promise<RevisedFiles> {
    return this.run('upsert files', async () => {
      if (metas.length === 0) return { records: [], revisions: new Map() };
      const missing = await missingContent(this.content, metas);
      const write = () => upsertFileBatch(this.files, metas, now.toISOString(), missing);
      const hosts = metas.map((m) => m.hostname);
      const { result, steps } = await withRevisions(revisionsOf(this.connection.db), hosts, write);
      return { records: result, revisions: steps };
    });
  }

  catalogueRevision(hostname: string): Promise<string> {
    return this.run('read catalogue revision', () => readRevision(revisionsOf(this.connection.db), hostname));
  }

  recordsWithoutContent(hostname: string): Promise<number> {
    return this.run('count records without content', () => countMissing(this.files, hostname));
  }

  getFile(id: string): Promise<FileRecord | null> {
    if (!isObjectIdHex(id)) return Promise.resolve(null);
    return this.run('get file', async () => {
      const doc = await this.files.findById(id).lean().exec();
      return doc ? fileFromDoc(doc as any) : null;
    });
  }

  findFile(hostname: string, filepath: string): Promise<FileRecord | null> {
    return this.run('find file', async () => {
      const doc = await this.files.findOne({ hostname, filepath }).lean().exec();
      return doc ? fileFromDoc(doc as any) : null;
    });
  }

  listFiles(query: FileQuery, page: PageRequest): Promise<Page<FileRecord>> {
    return this.run('list files', async () => {
      const filter: Record<string, unknown> = {};
      if (query.hostname !== undefined) filter.hostname = query.hostname;
      if (query.sha256 !== undefined) filter.sha256 = query.sha256;
      if (query.pathPrefix) filter.filepath = { $regex: `^${escapeRegExp(query.pathPrefix)}` };
      const and: Record<string, unknown>[] = [filter];
      if (page.cursor !== undefined) {
        const [host, path] = decodeCursor(page.cursor, 2) as [string, string];
        and.push({ $or: [{ hostname: { $gt: host } }, { hostname: host, filepath: { $gt: path } }] });
      }
      const docs = await this.files
        .find({ $and: and })
        .sort({ hostname: 1, filepath: 1 })
        .limit(page.limit + 1)
        .lean()
        .exec();
      const items = docs.slice(0, page.limit).map((d: any) => fileFromDoc(d));
      const last = items.at(-1);
      return docs.length > page.limit && last
        ? { items, cursor: encodeCursor([last.hostname, last.filepath]) }
        : { items };
    });
  }

  deleteFile(id: string): Promise<FileRecord | null> {
    if (!isObjectIdHex(id)) return Promise.resolve(null);
    return this.run('delete file', async () => {
      // The host is known only once the record is found: its revision advances before and after the deletion.
      const found = await this.files.findById(id, { hostname: 1 }).lean().exec();
      if (!found) return null;
      const remove = () => this.files.findByIdAndDelete(id).lean().exec();
      const { result: doc } = await withRevisions(revisionsOf(this.connection.db), [(found as any).hostname], remove);
      return doc ? fileFromDoc(doc as any) : null;
    });
  }

  countFilesWithHash(sha256: string): Promise<number> {
    return this.run('count files', () => this.files.countDocuments({ sha256 }).exec());
  }

  // ---- content
  getContent(sha256: string): Promise<ContentRecord | null> {
    return this.run('get content', async () => {
      const doc = await this.content.findById(sha256).lean().exec();
      return doc ? contentFromDoc(doc as any) : null;
    });
  }

  getContents(sha256s: readonly string[]): Promise<Map<string, ContentRecord>> {
    return this.run('get contents', async () => {
      const docs = await this.content
        .find({ _id: { $in: [...new Set(sha256s)] } })
        .lean()
        .exec();
      return new Map(docs.map((d: any) => [String(d._id), contentFromDoc(d)]));
    });
  }

  insertContentIfAbsent(record: ContentRecord): Promise<boolean> {
    return this.run('insert content', async () => {
      const { sha256, ...rest } = record;
      try {
        await this.content.collection.insertOne({ _id: sha256 as any, ...rest });
        if (record.state === 'present') await markContent(this.files, sha256, { size: record.size });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    });
  }

  updateContentIf(sha256: string, expectedVersion: number, patch: ContentPatch): Promise<ContentRecord | null> {
    return this.run('update content', async () => {
      const doc = await this.content
        .findOneAndUpdate(
          { _id: sha256, version: expectedVersion },
          { $set: patch, $inc: { version: 1 } },
          { new: true, lean: true },
        )
        .exec();
      const updated = doc ? contentFromDoc(doc as any) : null;
      if (updated && patch.state !== undefined)
        await markContent(this.files, sha256, updated.state === 'present' && { size: updated.size });
      return updated;
    });
  }

  deleteContentIf(sha256: string, expectedVersion: number): Promise<boolean> {
    return this.run('delete content', async () => {
      const result = await this.content.deleteOne({ _id: sha256, version: expectedVersion }).exec();
      if (result.deletedCount === 1) await markContent(this.files, sha256, false);
      return result.deletedCount === 1;
    });
  }

  listContent(page: PageRequest): Promise<Page<ContentRecord>> {
    return this.run('list content', async () => {
      const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, 1)[0]!;
      const docs = await this.content
        .find({ _id: { $gt: after } })
        .sort({ _id: 1 })
        .limit(page.limit + 1)
        .lean()
        .exec();
      const items = docs.slice(0, page.limit).map((d: any) => contentFromDoc(d));
      const last = items.at(-1);
      return docs.length > page.limit && last ? { items, cursor: encodeCursor([last.sha256]) } : { items };
    });
  }

  // ---- api keys
  insertApiKey(record: ApiKeyRecord): Promise<void> {
    return this.run('insert api key', async () => {
      const { id, ...rest } = record;
      await this.keys.collection.insertOne({ _id: new Types.ObjectId(id), ...rest } as any);
    });
  }

  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    return this.run('find api key', async () => {
      const doc = await this.keys.findOne({ key_hash: keyHash }).lean().exec();
      return doc ? apiKeyFromDoc(doc as any) : null;
    });
  }

  getApiKey(id: string): Promise<ApiKeyRecord | null> {
    if (!isObjectIdHex(id)) return Promise.resolve(null);
    return this.run('get api key', async () => {
      const doc = await this.keys.findById(id).lean().exec();
      return doc ? apiKeyFromDoc(doc as any) : null;
    });
  }

  listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.run('list api keys', async () =>
      (await this.keys.find().sort({ created_at: 1, _id: 1 }).lean().exec()).map((d: any) => apiKeyFromDoc(d)),
    );
  }

  updateApiKey(id: string, patch: Partial<Pick<ApiKeyRecord, 'is_active' | 'last_used_at'>>): Promise<boolean> {
    if (!isObjectIdHex(id)) return Promise.resolve(false);
    return this.run('update api key', async () => {
      const result = await this.keys.updateOne({ _id: id }, { $set: patch }).exec();
      return result.matchedCount === 1;
    });
  }

  deleteApiKey(id: string): Promise<boolean> {
    if (!isObjectIdHex(id)) return Promise.resolve(false);
    return this.run('delete api key', async () => (await this.keys.deleteOne({ _id: id }).exec()).deletedCount === 1);
  }

  // ---- counters
  incrementCounter(key: string, expiresAt: Date): Promise<number> {
    return this.run('increment counter', async () => {
      const doc = await this.counters
        .findOneAndUpdate(
          { _id: key },
          { $inc: { count: 1 }, $setOnInsert: { expires_at: expiresAt } },
          { upsert: true, new: true, lean: true },
        )
        .exec();
      return (doc as any).count as number;
    });
  }

  purgeExpiredCounters(now: Date): Promise<number> {
    return this.run(
      'purge counters',
      async () => (await this.counters.deleteMany({ expires_at: { $lte: now } }).exec()).deletedCount,
    );
  }

  // ---- uploads
  insertUpload(session: UploadSession): Promise<void> {
    return this.run('insert upload', async () => {
      const { id, ...rest } = session;
      await this.uploads.collection.insertOne({ _id: id as any, ...rest });
    });
  }

  getUpload(id: string): Promise<UploadSession | null> {
    return this.run('get upload', async () => {
      const doc = await this.uploads.findById(id).lean().exec();
      return doc ? uploadFromDoc(doc as any) : null;
    });
  }

  advanceUpload(
    id: string,
    expectedOffset: number,
    offset: number,
    parts: UploadPart[],
  ): Promise<UploadSession | null> {
    return this.run('advance upload', async () => {
      const doc = await this.uploads
        .findOneAndUpdate({ _id: id, offset: expectedOffset }, { $set: { offset, parts } }, { new: true, lean: true })
        .exec();
      return doc ? uploadFromDoc(doc as any) : null;
    });
  }

  deleteUpload(id: string): Promise<boolean> {
    return this.run('delete upload', async () => (await this.uploads.deleteOne({ _id: id }).exec()).deletedCount === 1);
  }

  listExpiredUploads(now: Date, limit: number): Promise<UploadSession[]> {
    return this.run('list expired uploads', async () =>
      (
        await this.uploads
          .find({ expires_at: { $lte: now.toISOString() } })
          .sort({ expires_at: 1 })
          .limit(limit)
          .lean()
          .exec()
      ).map((d: any) => uploadFromDoc(d)),
    );
  }

  // ---- settings
  // ---- leases
  claimLease(name: string, token: string, until: Date, now: Date): Promise<boolean> {
    return this.run('claim lease', async () => {
      try {
        // Matches a lease that is expired or ours; a live lease of another token does not match, so the upsert tries
        // to insert a second document with that _id and fails with a duplicate key: not claimed.
        await this.leases
          .updateOne(
            { _id: name, $or: [{ until: { $lt: now.toISOString() } }, { token }] },
            { $set: { token, until: until.toISOString() } },
            { upsert: true },
          )
          .exec();
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    });
  }

  releaseLease(name: string, token: string): Promise<void> {
    return this.run('release lease', async () => void (await this.leases.deleteOne({ _id: name, token }).exec()));
  }

  getOrInsertSetting(name: string, value: string): Promise<string> {
    return this.run('get or insert setting', async () => {
      const upsert = () =>
        this.settings
          .findOneAndUpdate({ _id: name }, { $setOnInsert: { value } }, { upsert: true, new: true, lean: true })
          .exec();
      let doc;
      try {
        doc = await upsert();
      } catch (err) {
        // Two concurrent upserts of a new _id: one inserts, the other gets a duplicate key and now finds it.
        if (!isDuplicateKey(err)) throw err;
        doc = await upsert();
      }
      return (doc as any).value as string;
    });
  }

  setSetting(name: string, value: string): Promise<void> {
    return this.run('set setting', async () => {
      const upsert = () => this.settings.updateOne({ _id: name }, { $set: { value } }, { upsert: true }).exec();
      // As above: of two concurrent upserts of a new _id, the loser gets a duplicate key and now updates.
      await upsert().catch((err: unknown) => {
        if (!isDuplicateKey(err)) throw err;
        return upsert();
      });
    });
  }
}
