import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileMetadataSchema } from '@org/core/dedup-schema';
import { SqliteStore } from '../src/index.js';
import { withRevisions } from '../src/mongo/catalogue-revisions.js';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

describe('catalogue revision: GET /catalogue?hostname= and the put_files answer (two replicas, one SQLite file)', () => {
  let a: TestServer;
  let b: TestServer;
  let ca: TestClient;
  let cb: TestClient;
  const revision = async (c: TestClient, hostname: string) => {
    const answer = await c.call('GET', `/catalogue?hostname=${encodeURIComponent(hostname)}`);
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json).sort()).toEqual([
      'catalogue_epoch',
      'catalogue_revision',
      'records_without_content',
    ]);
    return answer.json.catalogue_revision as string;
  };
  const putFiles = async (c: TestClient, files: ReturnType<typeof fileRecord>[]) => {
    const answer = await c.call('POST', '/put_files', { files });
    expect(answer.status).toBe(200);
    return answer.json as { catalogue_revisions: Record<string, { before: string | null; after: string }> };
  };

  beforeAll(async () => {
    a = await startServer();
    b = await startServer({ dir: a.dir });
    ca = client(a.url, a.key);
    cb = client(b.url, a.key);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('is 0 for a host never written; without hostname the answer is the epoch alone (PutPlace clients unchanged)', async () => {
    expect(await revision(ca, 'never-written')).toBe('0');
    const plain = await ca.call('GET', '/catalogue');
    expect(Object.keys(plain.json)).toEqual(['catalogue_epoch']);
    const bad = await ca.call('GET', '/catalogue?hostname=');
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toMatch(/hostname must not be empty/);
    expect((await ca.call('GET', '/catalogue?host=x')).status).toBe(400);
  });

  it('each put_files batch moves it one step per host; put_file of another client and a deletion move it too', async () => {
    const start = await revision(ca, 't3');
    const first = await putFiles(ca, [
      fileRecord({ hostname: 't3', filepath: '/a' }),
      fileRecord({ hostname: 't3', filepath: '/b' }),
      fileRecord({ hostname: 'other', filepath: '/a' }),
    ]);
    expect(Object.keys(first.catalogue_revisions).sort()).toEqual(['other', 't3']);
    const step = first.catalogue_revisions.t3!;
    expect(step.before).toBe(start);
    expect(step.after).not.toBe(start);
    // Both replicas read the same revision.
    expect(await revision(cb, 't3')).toBe(step.after);
    // Another client replaces /a with another content (PutPlace put_file, on the other replica): the revision moves,
    // the epoch does not.
    const epoch = (await ca.call('GET', '/catalogue')).json.catalogue_epoch as string;
    const put = await cb.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 't3', filepath: '/a', sha256: sha256Of('z') }),
    );
    expect(put.status).toBe(201);
    expect(put.json).not.toHaveProperty('catalogue_revisions');
    const afterPut = await revision(ca, 't3');
    expect(afterPut).not.toBe(step.after);
    expect((await ca.call('GET', '/catalogue')).json.catalogue_epoch).toBe(epoch);
    // The next batch of the first client finds the other write: its `before` is not the `after` it remembers.
    const second = await putFiles(ca, [fileRecord({ hostname: 't3', filepath: '/c' })]);
    expect(second.catalogue_revisions.t3).toEqual({ before: afterPut, after: await revision(ca, 't3') });
    expect(second.catalogue_revisions.t3!.before).not.toBe(step.after);
    // A deletion moves it.
    const id = put.json._id as string;
    const beforeDelete = await revision(ca, 't3');
    expect((await ca.call('DELETE', `/files/${id}`)).status).toBe(200);
    expect(await revision(ca, 't3')).not.toBe(beforeDelete);
    // A refused batch writes nothing: the revision stays.
    const now = await revision(ca, 't3');
    const refused = await ca.call('POST', '/put_files', {
      files: [fileRecord({ hostname: 't3', filepath: '/d' }), { hostname: 't3' }],
    });
    expect(refused.status).toBe(400);
    expect(await revision(ca, 't3')).toBe(now);
  });
});

describe('catalogue revision: a put that leaves every record as it was leaves it (SQLite)', () => {
  let a: TestServer;
  let ca: TestClient;
  beforeAll(async () => {
    a = await startServer();
    ca = client(a.url, a.key);
  });
  afterAll(async () => a?.close());

  it('records sent again as they are: a step that stays; atime or ip_address alone too; any other field moves it', async () => {
    const files = [fileRecord({ hostname: 'same', filepath: '/a' }), fileRecord({ hostname: 'same', filepath: '/b' })];
    const put = async (records: typeof files) =>
      (await ca.call('POST', '/put_files', { files: records })).json.catalogue_revisions.same as {
        before: string;
        after: string;
      };
    const first = await put(files);
    expect(first.after).not.toBe(first.before);
    expect(await put(files)).toEqual({ before: first.after, after: first.after });
    const touched = files.map((f) => ({ ...f, file_atime: f.file_atime + 100, ip_address: '10.9.9.9' }));
    expect(await put(touched)).toEqual({ before: first.after, after: first.after });
    // put_file of the same record: stays too; of another mtime: moves.
    expect((await ca.call('POST', '/put_file', files[0])).status).toBe(201);
    const revision = async () => (await ca.call('GET', '/catalogue?hostname=same')).json.catalogue_revision as string;
    expect(await revision()).toBe(first.after);
    for (const change of [
      { file_mtime: 5 },
      { file_ctime: 5 },
      { file_mode: 0o100600 },
      { file_uid: 7 },
      { file_gid: 7 },
      { sha256: sha256Of('other'), file_size: 5 },
      { is_symlink: true, link_target: '/x', sha256: sha256Of(''), file_size: 0 },
    ]) {
      const before = await revision();
      const step = await put([files[0]!, { ...files[1]!, ...change }]);
      expect(step.before).toBe(before);
      expect(step.after).not.toBe(before);
    }
    // A new record of the host moves it.
    const before = await revision();
    expect((await put([fileRecord({ hostname: 'same', filepath: '/new' })])).after).not.toBe(before);
  });
});

describe('catalogue revision of a store restored from a backup', () => {
  it('never comes back to a value it had: a write after the restore reaches another revision than the lost one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ufs-revision-'));
    const meta = (filepath: string) => fileMetadataSchema.parse(fileRecord({ hostname: 'h', filepath }));
    try {
      let store = new SqliteStore({ path: join(dir, 'ufs.db') });
      await store.upsertFile(meta('/kept'), new Date());
      const backedUp = await store.catalogueRevision('h');
      await store.close();
      await copyFile(join(dir, 'ufs.db'), join(dir, 'backup.db'));
      store = new SqliteStore({ path: join(dir, 'ufs.db') });
      const lost = (await store.upsertFilesRevised([meta('/lost')], new Date())).revisions.get('h')!;
      expect(lost.before).toBe(backedUp);
      await store.close();
      await rm(join(dir, 'ufs.db-wal'), { force: true });
      await rm(join(dir, 'ufs.db-shm'), { force: true });
      await copyFile(join(dir, 'backup.db'), join(dir, 'ufs.db'));
      store = new SqliteStore({ path: join(dir, 'ufs.db') });
      expect(await store.catalogueRevision('h')).toBe(backedUp);
      expect(await store.findFile('h', '/lost')).toBeNull();
      const again = (await store.upsertFilesRevised([meta('/other')], new Date())).revisions.get('h')!;
      // Same count of writes as the lost one, yet another revision: a client that remembered `lost.after` forgets.
      expect(again.before).toBe(backedUp);
      expect(again.after).not.toBe(lost.after);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a batch that fails in SQLite leaves the revision as it was (records and revision roll back together)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ufs-revision-'));
    const store = new SqliteStore({ path: join(dir, 'ufs.db') });
    try {
      const good = fileMetadataSchema.parse(fileRecord({ hostname: 'h', filepath: '/good' }));
      const before = await store.catalogueRevision('h');
      // A record the table refuses (NOT NULL): the batch throws after its first upsert and its revision step.
      const bad = { ...good, filepath: '/bad', sha256: null } as unknown as typeof good;
      await expect(store.upsertFilesRevised([good, bad], new Date())).rejects.toThrow();
      expect(await store.catalogueRevision('h')).toBe(before);
      expect(await store.findFile('h', '/good')).toBeNull();
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('MongoDB revision steps (withRevisions, over an in-memory collection: pure logic)', () => {
  /** `findOneAndUpdate` with `$inc` and `returnDocument: 'before'`, as the driver answers it; `between` runs inside. */
  function collection() {
    const docs = new Map<string, { _id: string; n: number; tag: string }>();
    return {
      docs,
      async findOneAndUpdate(filter: { _id: string }, update: { $inc: { n: number }; $set: { tag: string } }) {
        const old = docs.get(filter._id);
        docs.set(filter._id, { _id: filter._id, n: (old?.n ?? 0) + update.$inc.n, tag: update.$set.tag });
        return old ? { ...old } : null;
      },
    };
  }
  type Revisions = Parameters<typeof withRevisions>[0];

  it('alone: `before` is the revision found, `after` the one left (advanced twice)', async () => {
    const c = collection();
    const { result, steps } = await withRevisions(c as unknown as Revisions, ['h', 'h'], async () => 'written');
    expect(result).toBe('written');
    expect(steps.get('h')).toEqual({ before: '0', after: `2.${c.docs.get('h')!.tag}` });
    const next = await withRevisions(c as unknown as Revisions, ['h'], async () => undefined);
    expect(next.steps.get('h')!.before).toBe(steps.get('h')!.after);
  });

  it('another write of the host between the two advances: `before` is null (the client must forget)', async () => {
    const c = collection();
    const { steps } = await withRevisions(c as unknown as Revisions, ['h', 'g'], async () => {
      await withRevisions(c as unknown as Revisions, ['h'], async () => undefined);
    });
    expect(steps.get('h')!.before).toBeNull();
    expect(steps.get('g')).toEqual({ before: '0', after: `2.${c.docs.get('g')!.tag}` });
  });

  it('a write that fails still takes its second advance before its error', async () => {
    const c = collection();
    const failing = withRevisions(c as unknown as Revisions, ['h'], () => Promise.reject(new Error('lost')));
    await expect(failing).rejects.toThrow('lost');
    expect(c.docs.get('h')!.n).toBe(2);
  });
});
