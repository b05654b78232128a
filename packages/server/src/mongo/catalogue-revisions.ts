import type { mongo } from 'mongoose';
import { UfsError } from '@org/core';
import { INITIAL_REVISION, revisionOf, revisionTag, type RevisionStep } from '../store/catalogue-revision.js';
import { isDuplicateKey } from './mongo-records.js';

/** Collection of per-host catalogue revisions: `{_id: hostname, n, tag}`. */
export const REVISIONS_COLLECTION = 'catalogue_revisions';

interface RevisionDoc {
  _id: string;
  n: number;
  tag: string;
}

/** The revisions collection of a connected database; UNAVAILABLE when there is none. */
export function revisionsOf(db: mongo.Db | undefined): mongo.Collection<RevisionDoc> {
  if (!db)
    throw new UfsError('UNAVAILABLE', '[ufs] [mongo] catalogue revision: not connected', {
      context: { backend: 'mongo', operation: 'catalogue revision' },
    });
  return db.collection<RevisionDoc>(REVISIONS_COLLECTION);
}

export async function readRevision(revisions: mongo.Collection<RevisionDoc>, hostname: string): Promise<string> {
  const doc = await revisions.findOne({ _id: hostname });
  return doc ? revisionOf(doc.n, doc.tag) : INITIAL_REVISION;
}

/**
 * One atomic `$inc` of the host's revision (with a fresh tag), returning the document as it was before
 * (`returnDocument: 'before'`): the revision found and the one left, from the same single-document update.
 */
async function bump(revisions: mongo.Collection<RevisionDoc>, hostname: string, attempt = 0): Promise<RevisionStep> {
  const tag = revisionTag();
  try {
    const old = await revisions.findOneAndUpdate(
      { _id: hostname },
      { $inc: { n: 1 }, $set: { tag } },
      { upsert: true, returnDocument: 'before' },
    );
    return { before: old ? revisionOf(old.n, old.tag) : INITIAL_REVISION, after: revisionOf((old?.n ?? 0) + 1, tag) };
  } catch (err) {
    // Two first writes of a host at once: one inserts, the other hits the _id index and now increments.
    if (isDuplicateKey(err) && attempt < 2) return bump(revisions, hostname, attempt + 1);
    throw err;
  }
}

/**
 * Runs `write` (of the records of `hostnames`) between two advances of each host's revision: MongoDB without a
 * transaction cannot change the records and the revision as one. The first advance makes a write that crashes midway
 * still change the revision; the second makes a write that lands after another client read the revision change it
 * again. `before` is reported only when the second advance found what the first left (no other write of that host
 * came in between); otherwise it is null, and a client that remembered the revision must forget it. A failed write
 * still takes its second advance (part of it may be written) before its error is thrown.
 */
export async function withRevisions<T>(
  revisions: mongo.Collection<RevisionDoc>,
  hostnames: Iterable<string>,
  write: () => Promise<T>,
): Promise<{ result: T; steps: Map<string, RevisionStep> }> {
  const hosts = [...new Set(hostnames)];
  const first = await Promise.all(hosts.map((h) => bump(revisions, h)));
  let result: T;
  try {
    result = await write();
  } catch (err) {
    await Promise.all(hosts.map((h) => bump(revisions, h).catch(() => undefined)));
    throw err;
  }
  const second = await Promise.all(hosts.map((h) => bump(revisions, h)));
  const steps = new Map<string, RevisionStep>();
  hosts.forEach((host, i) => {
    const [a, b] = [first[i]!, second[i]!];
    steps.set(host, { before: b.before === a.after ? a.before : null, after: b.after });
  });
  return { result, steps };
}
