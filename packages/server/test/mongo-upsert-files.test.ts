import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { fileMetadataSchema } from '@org/core/dedup-schema';
import { mongo, Types } from 'mongoose';
import { MongoStore } from '../src/mongo.js';
import { fileRecord, sha256Of } from './helpers/records.js';

// The driver's own error classes (mongoose's copy of it), as an ordered bulk write throws them.
const require = createRequire(import.meta.url);
const driver = createRequire(require.resolve('mongoose'))('mongodb/lib/bulk/common.js') as {
  WriteError: new (err: { index: number; code: number; errmsg: string }) => unknown;
  MongoBulkWriteError: new (error: object, result: unknown) => Error;
};

/** The catalogue_revisions collection, as the one `findOneAndUpdate` ($inc, upsert) upsertFiles makes of it. */
function fakeRevisions() {
  const docs = new Map<string, { _id: string; n: number; tag: string }>();
  return {
    async findOneAndUpdate(filter: { _id: string }, update: { $inc: { n: number }; $set: { tag: string } }) {
      const old = docs.get(filter._id);
      docs.set(filter._id, { _id: filter._id, n: (old?.n ?? 0) + update.$inc.n, tag: update.$set.tag });
      return old ? { ...old } : null;
    },
  };
}

/**
 * A MongoStore whose `files` model is a fake, and its connection's database one with only the catalogue revisions
 * (which every write of records advances); the other models are not used by upsertFiles.
 */
const storeOver = (files: object): MongoStore => {
  const revisions = fakeRevisions();
  const connection = { name: 'fake', db: { collection: () => revisions } };
  // No content held: every record is written as without content (content-gaps.ts reads this model first).
  const content = { find: () => ({ lean: () => ({ exec: () => Promise.resolve([]) }) }) };
  return Reflect.construct(MongoStore, [connection, files, content]) as MongoStore;
};

type Doc = Record<string, unknown> & { _id: Types.ObjectId; hostname: string; filepath: string };
type UpdateOne = {
  updateOne: {
    filter: { hostname: string; filepath: string };
    update: { $set: Record<string, unknown>; $setOnInsert: Record<string, unknown> };
  };
};

/**
 * The `files` collection as an ordered bulk write of upserts sees it when another writer inserts some of the same
 * new keys at the same moment: that upsert fails with E11000 on the unique index and the batch stops there, the
 * operations before it written. (The MongoDB contract suite runs the real thing when UFS_TEST_MONGODB_URI is set.)
 */
function racingFiles(racedKeys: string[], racesPerKey = 1) {
  const docs = new Map<string, Doc>();
  const races = new Map(racedKeys.map((k) => [k, racesPerKey]));
  const sent: number[] = [];
  const key = (d: { hostname: string; filepath: string }) => `${d.hostname}:${d.filepath}`;
  const files = {
    async bulkWrite(ops: UpdateOne[], options: { ordered?: boolean }) {
      expect(options.ordered).toBe(true);
      sent.push(ops.length);
      for (const [index, { updateOne }] of ops.entries()) {
        const k = key(updateOne.filter);
        const left = races.get(k) ?? 0;
        if (left > 0) {
          // The other writer's insert lands between this upsert's lookup and its insert.
          races.set(k, left - 1);
          docs.set(k, { _id: new Types.ObjectId(), ...updateOne.filter, sha256: 'other', created_at: 'theirs' });
          const writeError = new driver.WriteError({ index, code: 11000, errmsg: 'E11000 duplicate key error' });
          throw new driver.MongoBulkWriteError(
            { message: 'E11000 duplicate key error', code: 11000, writeErrors: [writeError] },
            {},
          );
        }
        const existing = docs.get(k);
        docs.set(k, {
          ...(existing ?? { _id: new Types.ObjectId(), ...updateOne.update.$setOnInsert }),
          ...updateOne.update.$set,
        } as Doc);
      }
    },
    find(query: { $or: { hostname: string; filepath: string }[] }) {
      const wanted = new Set(query.$or.map(key));
      const found = [...docs.values()].filter((d) => wanted.has(key(d))).map((d) => ({ ...d }));
      return { lean: () => ({ exec: async () => found }) };
    },
  };
  const store = storeOver(files);
  return { store, docs, sent };
}

const meta = (filepath: string, sha256 = sha256Of(filepath)) =>
  fileMetadataSchema.parse(fileRecord({ hostname: 'h', filepath, sha256 }));

describe('MongoStore.upsertFiles against a concurrent writer (driver errors, no server)', () => {
  it('an upsert that lost the insert race is sent again from that operation and updates the record', async () => {
    const { store, docs, sent } = racingFiles(['h:/b', 'h:/d']);
    const metas = ['/a', '/b', '/c', '/d', '/e'].map((p) => meta(p));
    const records = await store.upsertFiles(metas, new Date('2024-01-01T00:00:00Z'));
    // Five, then from /b (four), then from /d (two): nothing before a failure is sent twice.
    expect(sent).toEqual([5, 4, 2]);
    expect(records.map((r) => [r.filepath, r.sha256])).toEqual(metas.map((m) => [m.filepath, m.sha256]));
    expect(records.map((r) => r.id)).toEqual(metas.map((m) => String(docs.get(`h:${m.filepath}`)!._id)));
    // The racer inserted /b: this batch updated it (its created_at stays), as an update on retry does.
    expect(records[1]).toMatchObject({ created_at: 'theirs', updated_at: '2024-01-01T00:00:00.000Z' });
    expect(docs.get('h:/b')).toMatchObject({ sha256: metas[1]!.sha256 });
  });

  it('a key repeated in the batch: answers in input order, each its own write, the last one stays', async () => {
    const { store, docs } = racingFiles(['h:/a']);
    const metas = [meta('/a', sha256Of('v1')), meta('/b'), meta('/a', sha256Of('v2'))];
    const records = await store.upsertFiles(metas, new Date());
    expect(records.map((r) => [r.filepath, r.sha256])).toEqual([
      ['/a', sha256Of('v1')],
      ['/b', sha256Of('/b')],
      ['/a', sha256Of('v2')],
    ]);
    expect(docs.get('h:/a')).toMatchObject({ sha256: sha256Of('v2') });
  });

  it('an operation that keeps failing gives up after three tries: UNAVAILABLE, retryable, not a 500', async () => {
    const { store, sent } = racingFiles(['h:/b'], 10);
    const error = await store.upsertFiles([meta('/a'), meta('/b')], new Date()).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(sent).toEqual([2, 1, 1]);
  });

  it('a bulk write that reached no server is UNAVAILABLE (the driver wraps its network error)', async () => {
    const files = {
      async bulkWrite() {
        throw new driver.MongoBulkWriteError(new mongo.MongoNetworkError('connect ECONNREFUSED 10.1.2.3:27017'), {});
      },
    };
    const store = storeOver(files);
    await expect(store.upsertFiles([meta('/a')], new Date())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('an empty batch writes nothing', async () => {
    const { store, sent } = racingFiles([]);
    expect(await store.upsertFiles([], new Date())).toEqual([]);
    expect(sent).toEqual([]);
  });
});
