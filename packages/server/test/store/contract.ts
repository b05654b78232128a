import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ApiKeyRecord, ContentRecord, FileRecord, MetadataStore, UploadSession } from '../../src/index.js';
import { fileRecord, sha256Of } from '../helpers/records.js';
import { fileMetadataSchema } from '@org/core/dedup-schema';
import { contentGapsCases } from './content-gaps-contract.js';

export interface StoreHandle {
  store: MetadataStore;
  /** A second, independent connection to the same data (another replica), when the store can give one. */
  second?: MetadataStore;
  close(): Promise<void>;
}

const meta = (o: Parameters<typeof fileRecord>[0] = {}) => fileMetadataSchema.parse(fileRecord(o));
const content = (sha256: string, o: Partial<ContentRecord> = {}): ContentRecord => ({
  sha256,
  size: 5,
  state: 'present',
  version: 1,
  uploaded_at: new Date().toISOString(),
  lease_until: null,
  verified_at: null,
  ...o,
});
const hex = (n: number, width = 24) => n.toString(16).padStart(width, '0');

/** A record's fields (a store may keep more, such as a document version). */
const stored = (record: FileRecord | null) =>
  record &&
  Object.fromEntries(
    [...Object.keys(meta()), 'id', 'created_at', 'updated_at'].map((k) => [k, record[k as keyof FileRecord]]),
  );

/** The one contract every metadata store passes (embedded SQLite always, MongoDB when one is given). */
export function storeContract(name: string, open: () => Promise<StoreHandle>): void {
  describe(`metadata store contract: ${name}`, () => {
    let handle: StoreHandle;
    let store: MetadataStore;
    beforeAll(async () => {
      handle = await open();
      store = handle.store;
    });
    afterAll(async () => handle?.close());

    contentGapsCases(() => handle);

    it('upserts one record per (hostname, filepath) and keeps created_at', async () => {
      const first = await store.upsertFile(meta({ hostname: 'h1', filepath: '/a' }), new Date('2024-01-01T00:00:00Z'));
      const second = await store.upsertFile(
        meta({ hostname: 'h1', filepath: '/a', sha256: sha256Of('v2'), file_size: 2 }),
        new Date('2024-02-01T00:00:00Z'),
      );
      expect(second.id).toBe(first.id);
      expect(second.sha256).toBe(sha256Of('v2'));
      expect(second.created_at).toBe('2024-01-01T00:00:00.000Z');
      expect(second.updated_at).toBe('2024-02-01T00:00:00.000Z');
      // What an upsert answers is the record as stored, field for field (a symlink record and its target included).
      expect(stored(second)).toEqual(stored(await store.getFile(first.id)));
      const link = await store.upsertFile(
        meta({ hostname: 'h1', filepath: '/link', is_symlink: true, link_target: '/a', file_mtime: 1.25 }),
        new Date('2024-03-01T00:00:00Z'),
      );
      expect(stored(link)).toEqual(stored(await store.getFile(link.id)));
      expect(link).toMatchObject({ is_symlink: true, link_target: '/a', file_mtime: 1.25 });
      expect(await store.findFile('h1', '/a')).toMatchObject({
        id: first.id,
        sha256: sha256Of('v2'),
        is_symlink: false,
      });
      expect(await store.getFile(first.id)).toMatchObject({ filepath: '/a' });
      expect(await store.getFile('nope')).toBeNull();
    });

    it('concurrent upserts of one new (hostname, filepath) end with one record', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 && handle.second ? handle.second : store).upsertFile(
            meta({ hostname: 'race', filepath: '/same' }),
            new Date(),
          ),
        ),
      );
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect((await store.listFiles({ hostname: 'race' }, { limit: 10 })).items).toHaveLength(1);
    });

    it('batch upserts answer in input order', async () => {
      const metas = [3, 1, 2].map((i) => meta({ hostname: 'batch', filepath: `/f${i}`, sha256: sha256Of(`b${i}`) }));
      const records = await store.upsertFiles(metas, new Date());
      expect(records.map((r) => r.filepath)).toEqual(['/f3', '/f1', '/f2']);
    });

    it('a key repeated in one batch: each answer is its own upsert, the last one stays', async () => {
      const [v1, v2] = [sha256Of('rep1'), sha256Of('rep2')];
      const records = await store.upsertFiles(
        [
          meta({ hostname: 'rep', filepath: '/a', sha256: v1 }),
          meta({ hostname: 'rep', filepath: '/b', sha256: v1 }),
          meta({ hostname: 'rep', filepath: '/a', sha256: v2 }),
        ],
        new Date(),
      );
      expect(records.map((r) => [r.filepath, r.sha256])).toEqual([
        ['/a', v1],
        ['/b', v1],
        ['/a', v2],
      ]);
      expect(records[2]!.id).toBe(records[0]!.id);
      expect((await store.findFile('rep', '/a'))?.sha256).toBe(v2);
    });

    it('concurrent batch upserts of the same new records on both connections all succeed, one record per key', async () => {
      const stores = [store, handle.second ?? store];
      const paths = Array.from({ length: 40 }, (_, i) => `/new/${i}`);
      // Each batch in its own order and with its own hash, so that every answer can be checked against its request.
      const batches = Array.from({ length: 8 }, (_, b) => ({
        sha256: sha256Of(`batch-race-${b}`),
        order: b % 2 ? [...paths].reverse() : b % 4 ? [...paths.slice(20), ...paths.slice(0, 20)] : paths,
      }));
      const answers = await Promise.all(
        batches.map(({ sha256, order }, b) =>
          stores[b % 2]!.upsertFiles(
            order.map((filepath) => meta({ hostname: 'batch-race', filepath, sha256 })),
            new Date(),
          ),
        ),
      );
      const ids = new Map<string, string>();
      answers.forEach((records, b) => {
        expect(records.map((r) => r.filepath)).toEqual(batches[b]!.order);
        expect(records.every((r) => r.sha256 === batches[b]!.sha256 && r.hostname === 'batch-race')).toBe(true);
        for (const r of records) {
          if (!ids.has(r.filepath)) ids.set(r.filepath, r.id);
          expect(r.id).toBe(ids.get(r.filepath));
        }
      });
      const listed = await store.listFiles({ hostname: 'batch-race' }, { limit: 100 });
      expect(listed.items.map((r) => r.filepath).sort()).toEqual([...paths].sort());
      expect(listed.items.map((r) => r.id).sort()).toEqual([...ids.values()].sort());
    });

    it('lists by host, path prefix and hash with cursor pagination', async () => {
      for (let i = 0; i < 7; i++) {
        await store.upsertFile(meta({ hostname: 'list', filepath: `/dir/${i}`, sha256: sha256Of('same') }), new Date());
      }
      await store.upsertFile(meta({ hostname: 'list', filepath: '/other/x', sha256: sha256Of('same') }), new Date());
      await store.upsertFile(meta({ hostname: 'list2', filepath: '/dir/9', sha256: sha256Of('same') }), new Date());
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listFiles(
          { hostname: 'list', pathPrefix: '/dir/' },
          cursor ? { limit: 3, cursor } : { limit: 3 },
        );
        seen.push(...page.items.map((r) => r.filepath));
        cursor = page.cursor;
      } while (cursor);
      expect(seen).toEqual(['/dir/0', '/dir/1', '/dir/2', '/dir/3', '/dir/4', '/dir/5', '/dir/6']);
      const clones = await store.listFiles({ sha256: sha256Of('same') }, { limit: 100 });
      expect(clones.items.map((r) => `${r.hostname}:${r.filepath}`)).toContain('list2:/dir/9');
      expect(clones.items).toHaveLength(9);
      expect(await store.countFilesWithHash(sha256Of('same'))).toBe(9);
      await expect(store.listFiles({}, { limit: 2, cursor: 'garbage!' })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
    });

    it('prefix queries treat regex and LIKE characters literally', async () => {
      await store.upsertFile(meta({ hostname: 'lit', filepath: '/a.b%_[x]/1' }), new Date());
      await store.upsertFile(meta({ hostname: 'lit', filepath: '/aXb%_[x]/2' }), new Date());
      const page = await store.listFiles({ hostname: 'lit', pathPrefix: '/a.b%_[x]/' }, { limit: 10 });
      expect(page.items.map((r) => r.filepath)).toEqual(['/a.b%_[x]/1']);
    });

    it('prefix queries find paths with the highest code points right after the prefix', async () => {
      const top = '\u{10FFFF}';
      const paths = [`/p/${top}z`, `/p/${top}`, '/p/\u{FFFF}', `/p${top}`, `/q/${top}${top}`];
      for (const filepath of paths) await store.upsertFile(meta({ hostname: 'top', filepath }), new Date());
      const list = async (pathPrefix: string) =>
        (await store.listFiles({ hostname: 'top', pathPrefix }, { limit: 10 })).items.map((r) => r.filepath).sort();
      expect(await list('/p/')).toEqual([`/p/${top}`, `/p/${top}z`, '/p/\u{FFFF}'].sort());
      expect(await list(`/p/${top}`)).toEqual([`/p/${top}`, `/p/${top}z`].sort());
      expect(await list(`/q/${top}${top}`)).toEqual([`/q/${top}${top}`]);
    });

    it('deletes records', async () => {
      const record = await store.upsertFile(meta({ hostname: 'del', filepath: '/x' }), new Date());
      expect((await store.deleteFile(record.id))?.id).toBe(record.id);
      expect(await store.deleteFile(record.id)).toBeNull();
      expect(await store.findFile('del', '/x')).toBeNull();
    });

    it('content: insert-if-absent has one winner among concurrent callers', async () => {
      const sha = sha256Of('content-race');
      const stores = [store, handle.second ?? store];
      const wins = await Promise.all(
        Array.from({ length: 16 }, (_, i) => stores[i % 2]!.insertContentIfAbsent(content(sha))),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await store.getContent(sha)).toMatchObject({ sha256: sha, state: 'present', version: 1 });
    });

    it('content: compare-and-set by version, delete by version', async () => {
      const sha = sha256Of('cas');
      await store.insertContentIfAbsent(content(sha));
      const lease = new Date(Date.now() + 1000).toISOString();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.updateContentIf(sha, 1, { state: 'deleting', lease_until: lease })),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ state: 'deleting', version: 2, lease_until: lease });
      expect(await store.deleteContentIf(sha, 1)).toBe(false);
      expect(await store.deleteContentIf(sha, 2)).toBe(true);
      expect(await store.getContent(sha)).toBeNull();
    });

    it('content: lists in hash order and fetches many at once', async () => {
      const shas = ['x1', 'x2', 'x3'].map(sha256Of);
      for (const sha of shas) await store.insertContentIfAbsent(content(sha));
      const map = await store.getContents([...shas, shas[0]!, sha256Of('absent')]);
      expect([...map.keys()].sort()).toEqual([...shas].sort());
      expect(map.get(shas[0]!)).toEqual(await store.getContent(shas[0]!));
      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listContent(cursor ? { limit: 2, cursor } : { limit: 2 });
        all.push(...page.items.map((c) => c.sha256));
        cursor = page.cursor;
      } while (cursor);
      expect(all).toEqual([...all].sort());
      for (const sha of shas) expect(all).toContain(sha);
    });

    it('api keys: found by hash, updated, deleted', async () => {
      const key: ApiKeyRecord = {
        id: hex(1),
        key_hash: sha256Of('key-1'),
        name: 'k',
        description: null,
        scopes: ['read'],
        created_at: new Date().toISOString(),
        last_used_at: null,
        is_active: true,
        rate_limit_per_minute: 10,
      };
      await store.insertApiKey(key);
      await expect(store.insertApiKey({ ...key, id: hex(2) })).rejects.toBeDefined();
      expect(await store.findApiKeyByHash(sha256Of('key-1'))).toEqual(key);
      expect(await store.updateApiKey(key.id, { is_active: false, last_used_at: '2024-01-01T00:00:00.000Z' })).toBe(
        true,
      );
      expect(await store.getApiKey(key.id)).toMatchObject({
        is_active: false,
        last_used_at: '2024-01-01T00:00:00.000Z',
      });
      expect((await store.listApiKeys()).map((k) => k.id)).toContain(key.id);
      expect(await store.updateApiKey(hex(99), { is_active: false })).toBe(false);
      expect(await store.deleteApiKey(key.id)).toBe(true);
      expect(await store.deleteApiKey(key.id)).toBe(false);
      expect(await store.getApiKey('not-an-id')).toBeNull();
    });

    it('counters: concurrent increments are all counted, expired ones purged', async () => {
      const stores = [store, handle.second ?? store];
      const expires = new Date(Date.now() + 60_000);
      const values = await Promise.all(
        Array.from({ length: 50 }, (_, i) => stores[i % 2]!.incrementCounter('c1', expires)),
      );
      expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      await store.incrementCounter('old', new Date(Date.now() - 1000));
      expect(await store.purgeExpiredCounters(new Date())).toBeGreaterThanOrEqual(1);
      expect(await store.incrementCounter('old', expires)).toBe(1);
    });

    it('uploads: one PATCH wins the offset, expired ones are listed', async () => {
      const session: UploadSession = {
        id: hex(7, 32),
        sha256: sha256Of('u'),
        length: 10,
        offset: 0,
        parts: [],
        metadata: { filename: 'a.bin' },
        created_at: new Date().toISOString(),
        expires_at: new Date(Date.now() - 1).toISOString(),
      };
      await store.insertUpload(session);
      const attempts = await Promise.all(
        [1, 2, 3].map((n) => store.advanceUpload(session.id, 0, 4, [{ start: 0, size: 4, key: `p${n}` }])),
      );
      expect(attempts.filter((a) => a !== null)).toHaveLength(1);
      expect(await store.getUpload(session.id)).toMatchObject({ offset: 4, metadata: { filename: 'a.bin' } });
      expect((await store.listExpiredUploads(new Date(), 10)).map((u) => u.id)).toContain(session.id);
      expect(await store.deleteUpload(session.id)).toBe(true);
      expect(await store.getUpload(session.id)).toBeNull();
    });

    it('leases: one of many concurrent claimants on both connections holds it; renewal, expiry, release', async () => {
      const stores = [store, handle.second ?? store];
      const now = new Date();
      const until = new Date(now.getTime() + 60_000);
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stores[i % 2]!.claimLease('finish:a', `t${i}`, until, now)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      const holder = `t${claims.indexOf(true)}`;
      const other = holder === 't0' ? 't1' : 't0';
      // The holder renews; another token cannot take a live lease, nor release it.
      expect(await stores[1]!.claimLease('finish:a', holder, new Date(now.getTime() + 120_000), now)).toBe(true);
      expect(await store.claimLease('finish:a', other, until, now)).toBe(false);
      await store.releaseLease('finish:a', other);
      expect(await store.claimLease('finish:a', other, until, now)).toBe(false);
      // Once it has expired, anyone takes it over; once released, it is free at once.
      const later = new Date(now.getTime() + 121_000);
      expect(await store.claimLease('finish:a', other, new Date(later.getTime() + 60_000), later)).toBe(true);
      expect(await stores[1]!.claimLease('finish:a', holder, new Date(later.getTime() + 60_000), later)).toBe(false);
      await stores[1]!.releaseLease('finish:a', other);
      expect(await store.claimLease('finish:a', holder, until, now)).toBe(true);
      // Leases are independent by name.
      expect(await store.claimLease('finish:b', other, until, now)).toBe(true);
    });

    it('settings: insert-if-absent, concurrent callers on both connections agree on the first value', async () => {
      const stores = [store, handle.second ?? store];
      const values = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stores[i % 2]!.getOrInsertSetting('shared-secret', `value-${i}`)),
      );
      expect(new Set(values).size).toBe(1);
      expect(values[0]).toMatch(/^value-\d+$/);
      expect(await store.getOrInsertSetting('shared-secret', 'later')).toBe(values[0]);
      expect(await stores[1]!.getOrInsertSetting('other-setting', 'x')).toBe('x');
    });

    it('settings: set replaces the value for every connection, inserts a new name, last writer wins', async () => {
      const stores = [store, handle.second ?? store];
      expect(await store.getOrInsertSetting('epoch-like', 'first')).toBe('first');
      await expect(store.setSetting('epoch-like', 'second')).resolves.toBeUndefined();
      expect(await stores[1]!.getOrInsertSetting('epoch-like', 'ignored')).toBe('second');
      await stores[1]!.setSetting('epoch-like', 'third');
      expect(await store.getOrInsertSetting('epoch-like', 'ignored')).toBe('third');
      await store.setSetting('set-before-get', 'fresh');
      expect(await stores[1]!.getOrInsertSetting('set-before-get', 'ignored')).toBe('fresh');
      await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.setSetting('set-race', `value-${i}`)));
      const seen = await Promise.all(stores.map((s) => s.getOrInsertSetting('set-race', 'ignored')));
      expect(seen[0]).toMatch(/^value-\d+$/);
      expect(seen[1]).toBe(seen[0]);
    });

    it('probeWrite: a write taken again and again, concurrently, on both connections; the API sees nothing of it', async () => {
      const seen = async () => ({
        files: await store.listFiles({}, { limit: 10_000 }),
        content: await store.listContent({ limit: 10_000 }),
        keys: await store.listApiKeys(),
        uploads: await store.listExpiredUploads(new Date(8.64e15), 10_000),
      });
      const before = await seen();
      await store.probeWrite();
      await Promise.all([
        store.probeWrite(),
        store.probeWrite(),
        handle.second?.probeWrite(),
        handle.second?.probeWrite(),
      ]);
      await store.probeWrite();
      expect(await seen()).toEqual(before);
    });

    it('catalogue revision: 0 for a new host, advanced by every write of its records, on both connections', async () => {
      const other = handle.second ?? store;
      expect(await store.catalogueRevision('rev-h')).toBe('0');
      const untouched = await store.catalogueRevision('rev-other');
      const seen = new Set<string>(['0']);
      const advanced = async (write: () => Promise<unknown>) => {
        const before = await other.catalogueRevision('rev-h');
        await write();
        const after = await store.catalogueRevision('rev-h');
        expect(seen.has(after)).toBe(false); // a revision never comes back
        seen.add(after);
        return [before, after];
      };
      const record = await store.upsertFile(meta({ hostname: 'rev-h', filepath: '/a' }), new Date());
      seen.add(await store.catalogueRevision('rev-h'));
      expect(seen.size).toBe(2);
      await advanced(() =>
        other.upsertFile(meta({ hostname: 'rev-h', filepath: '/a', sha256: sha256Of('x') }), new Date()),
      );
      await advanced(() => store.upsertFiles([meta({ hostname: 'rev-h', filepath: '/b' })], new Date()));
      await advanced(() => other.deleteFile(record.id));
      // No record deleted: nothing written, the revision stays.
      const now = await store.catalogueRevision('rev-h');
      expect(await store.deleteFile(record.id)).toBeNull();
      expect(await other.catalogueRevision('rev-h')).toBe(now);
      expect(await store.catalogueRevision('rev-other')).toBe(untouched);
    });

    it('upsertFilesRevised: one step per hostname per batch, before and after chained, the records as upsertFiles', async () => {
      const start = { a: await store.catalogueRevision('rev-a'), b: await store.catalogueRevision('rev-b') };
      const first = await store.upsertFilesRevised(
        [
          meta({ hostname: 'rev-a', filepath: '/1' }),
          meta({ hostname: 'rev-b', filepath: '/1' }),
          meta({ hostname: 'rev-a', filepath: '/2' }),
        ],
        new Date(),
      );
      expect(first.records.map((r) => `${r.hostname}:${r.filepath}`)).toEqual(['rev-a:/1', 'rev-b:/1', 'rev-a:/2']);
      expect([...first.revisions.keys()]).toEqual(['rev-a', 'rev-b']);
      expect(first.revisions.get('rev-a')).toEqual({ before: start.a, after: await store.catalogueRevision('rev-a') });
      expect(first.revisions.get('rev-b')).toEqual({ before: start.b, after: await store.catalogueRevision('rev-b') });
      const second = await (handle.second ?? store).upsertFilesRevised(
        [meta({ hostname: 'rev-a', filepath: '/3' })],
        new Date(),
      );
      expect(second.revisions.get('rev-a')?.before).toBe(first.revisions.get('rev-a')!.after);
      expect(second.revisions.get('rev-a')?.after).not.toBe(first.revisions.get('rev-a')!.after);
      expect(await store.catalogueRevision('rev-b')).toBe(first.revisions.get('rev-b')!.after);
      expect((await store.upsertFilesRevised([], new Date())).records).toEqual([]);
    });

    it('a put that leaves every record as it was may leave the revision (before = after), never a step that lies', async () => {
      const records = [meta({ hostname: 'rev-same', filepath: '/1' }), meta({ hostname: 'rev-same', filepath: '/2' })];
      const first = (await store.upsertFilesRevised(records, new Date())).revisions.get('rev-same')!;
      expect(first.after).not.toBe(first.before);
      const again = (await store.upsertFilesRevised(records, new Date())).revisions.get('rev-same')!;
      // SQLite leaves it; MongoDB advances it (it cannot tell): either way the step says what happened.
      expect(again.before === null || again.before === first.after).toBe(true);
      expect(await store.catalogueRevision('rev-same')).toBe(again.after);
      const changed = await store.upsertFilesRevised([{ ...records[0]!, file_mtime: 99 }], new Date());
      expect(changed.revisions.get('rev-same')!.after).not.toBe(again.after);
    });

    it('upsertFilesRevised racing on both connections: a step says `before` only when no other write came between', async () => {
      const stores = [store, handle.second ?? store];
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, b) =>
          stores[b % 2]!.upsertFilesRevised(
            [meta({ hostname: 'rev-race', filepath: `/f${b % 3}`, sha256: sha256Of(`r${b}`) })],
            new Date(),
          ),
        ),
      );
      const steps = answers.map((a) => a.revisions.get('rev-race')!);
      // Every step that reports its `before` is a link of one chain: no two share a `before` or an `after`.
      const befores = steps.flatMap((s) => (s.before === null ? [] : [s.before]));
      expect(new Set(befores).size).toBe(befores.length);
      expect(new Set(steps.map((s) => s.after)).size).toBe(steps.length);
      // The last write's `after` is the revision now.
      expect(steps.map((s) => s.after)).toContain(await store.catalogueRevision('rev-race'));
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
