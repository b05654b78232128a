// A metadata store is bound to its content mount (store id in `settings`, a marker object in the mount): a store that
// is not the mount's own — a new, empty one after a typo in the data folder, one pointed at another server's content —
// is refused at start, before its gc can take every object for an orphan. Real SQLite files and local mounts.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { UfsError, contentKey } from '@org/core';
import {
  STORE_ID_SETTING,
  STORE_MARKER_KEY,
  SqliteStore,
  bindContentMount,
  openContentMount,
  type ContentMount,
  type Refuse,
} from '../src/index.js';
import { tempFolder } from './helpers/store-file.js';

const folder = tempFolder('ufs-store-binding-');
const refuse: Refuse = (why, cause) => new UfsError('CONFIG_INVALID', `[ufs] --content "C" ${why}`, { cause });
const options = { refuse, adoptHint: '--adopt-content' };
const open: Array<{ close(): Promise<void> } | ContentMount> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await ('dispose' in item ? item.dispose() : item.close());
});

const SHA = 'ab'.repeat(32);

async function setUp(name: string, { content = false, record = false } = {}) {
  const dir = join(folder(), name);
  const store = new SqliteStore({ path: join(dir, 'ufs.db') });
  const mount = await openContentMount(join(dir, 'content'));
  open.push(store, mount);
  if (content) {
    await mkdir(join(dir, 'content', 'ab'), { recursive: true });
    await writeFile(join(dir, 'content', contentKey(SHA)), 'bytes');
  }
  if (record) {
    const now = new Date().toISOString();
    const row = { sha256: SHA, size: 5, state: 'present' as const, version: 1, uploaded_at: now };
    await store.insertContentIfAbsent({ ...row, lease_until: null, verified_at: null });
  }
  const marker = async () => JSON.parse(await readFile(join(dir, 'content', STORE_MARKER_KEY), 'utf8')) as unknown;
  return { dir, store, mount, marker };
}

describe('bindContentMount', () => {
  it('a first start on an empty mount writes the marker naming the store id; the next start finds it', async () => {
    const { store, mount, marker } = await setUp('fresh');
    const first = await bindContentMount(store, mount.backend, options);
    expect(first.storeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await store.getOrInsertSetting(STORE_ID_SETTING, 'other')).toBe(first.storeId);
    expect(first.note).toBe(`content mount marked as the content of store ${first.storeId}`);
    expect(await marker()).toEqual({ ufs: 'content mount', stores: [first.storeId] });
    expect(await bindContentMount(store, mount.backend, options)).toEqual({ storeId: first.storeId });
  });

  it('a data folder of a version without markers (records and content, no marker) gets its marker', async () => {
    const { store, mount, marker } = await setUp('upgrade', { content: true, record: true });
    const bound = await bindContentMount(store, mount.backend, options);
    expect(await marker()).toEqual({ ufs: 'content mount', stores: [bound.storeId] });
  });

  it('an empty store beside content without a marker is refused; --adopt-content takes the mount', async () => {
    const { store, mount, marker } = await setUp('empty-store', { content: true });
    const storeId = await store.getOrInsertSetting(STORE_ID_SETTING, 'set-before');
    const refused = await bindContentMount(store, mount.backend, options).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(UfsError);
    expect((refused as UfsError).code).toBe('CONFIG_INVALID');
    expect((refused as UfsError).message).toBe(
      `[ufs] --content "C" holds content, but the metadata store (store ${storeId}) holds no record of any: a typo in ` +
        'the data folder, a store made anew or lost? Its gc would delete all of this content. Start with the store ' +
        "this content belongs to (restore it from a backup); or, to make it this store's deliberately (gc then " +
        'removes every object this store has no record of), start once with --adopt-content',
    );
    await expect(marker()).rejects.toThrow(/ENOENT/); // nothing written
    const adopted = await bindContentMount(store, mount.backend, { ...options, adopt: true });
    expect(await marker()).toEqual({ ufs: 'content mount', stores: [adopted.storeId] });
  });

  it('a mount whose marker names another store is refused naming both; adopting it makes the other one refused', async () => {
    const owner = await setUp('owner', { content: true, record: true });
    const ownerId = (await bindContentMount(owner.store, owner.mount.backend, options)).storeId;
    // A second store (a typo in --data-dir) on the owner's content: it has records of its own, even.
    const other = new SqliteStore({ path: join(folder(), 'typo', 'ufs.db') });
    open.push(other);
    const otherId = await other.getOrInsertSetting(STORE_ID_SETTING, 'typo-store');
    const refused = await bindContentMount(other, owner.mount.backend, options).catch((err: unknown) => err);
    expect((refused as UfsError).code).toBe('CONFIG_INVALID');
    expect((refused as UfsError).message).toBe(
      `[ufs] --content "C" belongs to another ufs store (store ${ownerId}; this store is ${otherId}): a typo in the ` +
        "data folder or a lost store? A store that is not the content's own sees all of it as orphans and its gc " +
        "would delete it. Start with the store this content belongs to; or, to make it this store's deliberately " +
        '(gc then removes every object this store has no record of), start once with --adopt-content',
    );
    expect(await owner.marker()).toEqual({ ufs: 'content mount', stores: [ownerId] });

    const adopted = await bindContentMount(other, owner.mount.backend, { ...options, adopt: true });
    expect(adopted.note).toBe(`content mount adopted by store ${otherId} (it belonged to store ${ownerId})`);
    expect(await owner.marker()).toEqual({ ufs: 'content mount', stores: [otherId] });
    await expect(bindContentMount(owner.store, owner.mount.backend, options)).rejects.toThrow(
      `belongs to another ufs store (store ${otherId}; this store is ${ownerId})`,
    );
  });

  it('a marker that is not ufs JSON is refused rather than replaced', async () => {
    const { dir, store, mount } = await setUp('bad-marker');
    await mkdir(join(dir, 'content'), { recursive: true });
    await writeFile(join(dir, 'content', STORE_MARKER_KEY), 'not json');
    await expect(bindContentMount(store, mount.backend, options)).rejects.toThrow(
      `[ufs] --content "C" holds a store marker "${STORE_MARKER_KEY}" that is not ufs's JSON: move it away if it is not ufs's`,
    );
    expect(await readFile(join(dir, 'content', STORE_MARKER_KEY), 'utf8')).toBe('not json');
  });
});
