import { describe, expect, it } from '@jest/globals';
import { fileMetadataSchema } from '@org/core/dedup-schema';
import { Types } from 'mongoose';
import { MongoStore } from '../src/mongo.js';
import { fileRecord } from './helpers/records.js';
import { contentGapsCases } from './store/content-gaps-contract.js';

type Doc = Record<string, unknown> & { _id: unknown };
type Filter = Record<string, unknown>;
type Update = { $set?: Doc; $setOnInsert?: Doc; $inc?: Record<string, number> };

/** A query as mongoose chains it (`.lean().exec()`), answering `value`. */
const query = <T>(value: T) => {
  const q = { lean: () => q, exec: () => Promise.resolve(value) };
  return q;
};
const same = (a: unknown, b: unknown) =>
  a instanceof Types.ObjectId || b instanceof Types.ObjectId ? String(a) === String(b) : a === b;

/** The filters the MongoDB store sends for these operations: equality, `$ne`, `$in`, `$or`. */
function matches(doc: Doc, filter: Filter): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    if (key === '$or') return (cond as Filter[]).some((f) => matches(doc, f));
    const value = doc[key];
    if (cond !== null && typeof cond === 'object' && !(cond instanceof Types.ObjectId)) {
      if ('$ne' in cond) return !same(value, cond.$ne);
      if ('$in' in cond) return (cond.$in as unknown[]).some((v) => same(value, v));
    }
    return same(value, cond);
  });
}

/**
 * An in-memory collection answering the calls MongoStore makes of its `files` and `content` models (the MongoDB
 * contract suite runs the real thing when UFS_TEST_MONGODB_URI is set).
 */
class FakeModel {
  readonly docs: Doc[] = [];
  readonly collection = {
    insertOne: (doc: Doc) => {
      if (this.docs.some((d) => same(d._id, doc._id)))
        return Promise.reject(Object.assign(new Error('E11000'), { code: 11000 }));
      this.docs.push({ ...doc });
      return Promise.resolve({});
    },
  };

  private apply(doc: Doc, update: Update): void {
    Object.assign(doc, update.$set ?? {});
    for (const [k, n] of Object.entries(update.$inc ?? {})) doc[k] = ((doc[k] as number) ?? 0) + n;
  }
  find(filter: Filter) {
    return query(this.docs.filter((d) => matches(d, filter)).map((d) => ({ ...d })));
  }
  findOne(filter: Filter) {
    const doc = this.docs.find((d) => matches(d, filter));
    return query(doc ? { ...doc } : null);
  }
  findById(id: unknown) {
    return this.findOne({ _id: id });
  }
  findByIdAndDelete(id: unknown) {
    const i = this.docs.findIndex((d) => same(d._id, id));
    return query(i < 0 ? null : this.docs.splice(i, 1)[0]!);
  }
  findOneAndUpdate(filter: Filter, update: Update, options: { upsert?: boolean } = {}) {
    let doc = this.docs.find((d) => matches(d, filter));
    if (!doc && !options.upsert) return query(null);
    if (!doc) this.docs.push((doc = { _id: new Types.ObjectId(), ...filter, ...update.$setOnInsert }));
    this.apply(doc, update);
    return query({ ...doc });
  }
  bulkWrite(ops: { updateOne: { filter: Filter; update: Update; upsert: boolean } }[]) {
    for (const { updateOne } of ops) this.findOneAndUpdate(updateOne.filter, updateOne.update, updateOne);
    return Promise.resolve({});
  }
  updateMany(filter: Filter, update: Update) {
    for (const doc of this.docs.filter((d) => matches(d, filter))) this.apply(doc, update);
    return query({});
  }
  countDocuments(filter: Filter) {
    return query(this.docs.filter((d) => matches(d, filter)).length);
  }
  deleteOne(filter: Filter) {
    const i = this.docs.findIndex((d) => matches(d, filter));
    if (i >= 0) this.docs.splice(i, 1);
    return query({ deletedCount: i >= 0 ? 1 : 0 });
  }
}

/** A MongoStore over in-memory `files`, `content` and catalogue revisions (the other models are not used here). */
function fakeStore() {
  const [files, content, revisions] = [new FakeModel(), new FakeModel(), new FakeModel()];
  const connection = { name: 'fake', db: { collection: () => revisions } };
  const store = Reflect.construct(MongoStore, [connection, files, content]) as MongoStore;
  return { store, files };
}

describe('MongoStore records without content (content_missing on each record, over in-memory collections)', () => {
  const fake = fakeStore();
  contentGapsCases(() => fake);

  it('keeps its field out of the records it answers; a record written before the field counts as without content', async () => {
    const { store, files } = fakeStore();
    const record = await store.upsertFile(
      fileMetadataSchema.parse(fileRecord({ hostname: 'old', filepath: '/a' })),
      new Date(),
    );
    expect(record).not.toHaveProperty('content_missing');
    expect(await store.findFile('old', '/a')).not.toHaveProperty('content_missing');
    files.docs.push({ _id: new Types.ObjectId(), ...fileRecord({ hostname: 'old', filepath: '/b' }) });
    expect(await store.recordsWithoutContent('old')).toBe(2);
  });
});
