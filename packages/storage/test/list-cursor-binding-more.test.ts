// A list cursor belongs to the listing that returned it: the folder, recursive or not, and the mount root, prefix or
// archive it is in. Passed to another listing it would resume at a wrong place (or hand a continuation token of one
// folder to the listing of another), so it is refused with INVALID_INPUT naming the folder. The backends not in
// list-cursor-binding.test.ts: local (recursive and root too), WebDAV (webdav-server), Azure (azurite), GCS and
// Dropbox (their fakes), zip; and the generic walk (`walkPage`) of backends without recursive listing.
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ListOptions, StorageBackend } from '@org/core';
import type { MountConfig } from '../src/index.js';
import { StorageManager, walkPage } from '../src/index.js';
import { startDropboxFake, AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, startWebdavServer } from '@org/test-services';
import { startGcsFixture } from './fakes/gcs-fixture.js';
import { buildZip } from './fakes/zip-builder.js';
import { rejectsWith } from './helpers.js';

const azurite = await startAzurite();
const gcs = await startGcsFixture();
const dropbox = await startDropboxFake();
dropbox.tokens.add('cursor-token');
const dav = await startWebdavServer('basic');
const base = realpathSync(mkdtempSync(join(tmpdir(), 'ufs-cursors-more-')));
const container = `cursors-${process.pid}`;
afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await Promise.all([azurite.stop(), gcs.close(), dropbox.close(), dav.stop()]);
}, 30_000);

let storage: StorageManager;
let run = 0;
beforeEach(() => {
  storage = new StorageManager();
});
afterEach(() => storage.dispose());

const FILES = ['1.txt', '2.txt', '3.txt', 'sub/4.txt'].flatMap((name) => [`a/${name}`, `b/${name}`]);

/** Mount configs of one kind, a new place (root, prefix, archive) for each: `name` is the mount's name. */
type Setup = (name: string) => Promise<MountConfig[]>;

function davFolder(): string {
  const folder = `w${++run}`;
  mkdirSync(join(dav.dir, folder));
  return `${dav.url}${folder}/`;
}

const davMount = (name: string, depthInfinity: boolean): MountConfig => ({
  name,
  protocol: 'webdav',
  url: davFolder(),
  username: dav.username,
  password: dav.password,
  depthInfinity,
});

const setups: Record<string, Setup> = {
  local: async (name) => [{ name, protocol: 'local', root: join(base, `local-${++run}`) }],
  webdav: async (name) => [davMount(name, true)],
  azure: async (name) => [
    {
      name,
      protocol: 'azure',
      accountName: AZURITE_ACCOUNT,
      accountKey: AZURITE_KEY,
      endpoint: azurite.blobEndpoint,
      container,
      createContainer: true,
      prefix: `run-${++run}`,
    },
  ],
  gcs: async (name) => [{ name, protocol: 'gcs', ...gcs.base, bucket: 'ufs-plain', prefix: `run-${++run}` }],
  dropbox: async (name) => [
    { name, protocol: 'dropbox', apiBaseUrl: dropbox.url, accessToken: 'cursor-token', root: `Apps/run-${++run}` },
  ],
  zip: async (name) => {
    // A read-only archive on a memory mount: its files are in the archive from the start.
    const files = `files-${++run}`;
    // Each archive another one: one more stored byte than the last.
    const extra = { name: 'extra.txt', data: Buffer.alloc(run, 'x'), compress: false };
    const archive = await buildZip([...FILES.map((file) => ({ name: file, data: Buffer.from(file) })), extra]);
    await storage.configure([{ name: files, protocol: 'memory' }]);
    await storage.node(`${files}:site.zip`).writeBytes(archive);
    return [{ name, protocol: 'zip', archive: `${files}:site.zip` }];
  },
};

/** Mounts `setup` as `name` with FILES in it; its backend. */
async function mounted(setup: Setup, name = 'm'): Promise<StorageBackend> {
  const mounts = await setup(name);
  await storage.configure(mounts);
  const backend = storage.resolveMount(name).backend();
  if (backend.capabilities.write) for (const file of FILES) await storage.node(`${name}:${file}`).writeText(file);
  return backend;
}

async function cursorOf(backend: StorageBackend, key: string, options: ListOptions = {}): Promise<string> {
  const page = await backend.list(key, { ...options, pageSize: 1 });
  expect(page.cursor).toBeDefined();
  return page.cursor!;
}

function expectForeign(message: string, path: string, kind: 'listing' | 'recursive listing'): void {
  expect(message).toMatch(/^\[ufs\] \[\w+\] /);
  expect(message).toContain(`list "${path}"`);
  const folder = path.slice(path.indexOf(':') + 1);
  expect(message).toContain(`the cursor belongs to another listing, not to the ${kind} of folder "${folder}"`);
}

describe.each(Object.keys(setups))('a list cursor on %s', (protocol) => {
  it("of folder b's listing is refused by folder a's listing, naming the folder", async () => {
    const backend = await mounted(setups[protocol]!);
    const fromB = await cursorOf(backend, 'b');
    const err = await rejectsWith(backend.list('a', { pageSize: 1, cursor: fromB }), 'INVALID_INPUT');
    expectForeign(err.message, 'm:a', 'listing');
    // The cursor still works for its own listing.
    const next = await backend.list('b', { pageSize: 1, cursor: fromB });
    expect(next.entries.map((e) => e.key)).toEqual(['b/2.txt']);
  });

  it('of a recursive listing is refused by a one-level listing of the same folder, and the reverse', async () => {
    const backend = await mounted(setups[protocol]!);
    const recursive = await cursorOf(backend, 'a', { recursive: true });
    const err = await rejectsWith(backend.list('a', { pageSize: 1, cursor: recursive }), 'INVALID_INPUT');
    expectForeign(err.message, 'm:a', 'listing');
    const level = await cursorOf(backend, 'a');
    const reverse = await rejectsWith(
      backend.list('a', { pageSize: 1, cursor: level, recursive: true }),
      'INVALID_INPUT',
    );
    expectForeign(reverse.message, 'm:a', 'recursive listing');
    const deeper = await cursorOf(backend, '', { recursive: true });
    await rejectsWith(backend.list('a', { pageSize: 1, cursor: deeper, recursive: true }), 'INVALID_INPUT');
    // Each still resumes its own listing.
    expect((await backend.list('a', { pageSize: 1, cursor: recursive, recursive: true })).entries).toHaveLength(1);
    expect((await backend.list('a', { pageSize: 1, cursor: level })).entries.map((e) => e.key)).toEqual(['a/2.txt']);
  });

  it('of a mount with another root (prefix, archive) is refused, though the folder key is the same', async () => {
    const one = await mounted(setups[protocol]!, 'one');
    const two = await mounted(setups[protocol]!, 'two');
    const cursor = await cursorOf(one, 'a');
    const err = await rejectsWith(two.list('a', { pageSize: 1, cursor }), 'INVALID_INPUT');
    expectForeign(err.message, 'two:a', 'listing');
  });
});

it('a zip cursor of an archive since overwritten is refused (its offsets are of another listing)', async () => {
  const backend = await mounted(setups.zip!);
  const cursor = await cursorOf(backend, 'a');
  const files = `files-${run}`;
  await storage.node(`${files}:site.zip`).writeBytes(await buildZip([{ name: 'a/0.txt', data: Buffer.from('0') }]));
  const err = await rejectsWith(backend.list('a', { pageSize: 1, cursor }), 'INVALID_INPUT');
  expectForeign(err.message, 'm:a', 'listing');
  expect((await backend.list('a')).entries.map((e) => e.key)).toEqual(['a/0.txt']);
});

describe('the generic recursive walk (a WebDAV mount without Depth: infinity)', () => {
  it('refuses a walk cursor of another folder, a one-level cursor, and gives its own to no one-level listing', async () => {
    await mounted(async (name) => [davMount(name, false)]);
    const walk = (path: string, cursor?: string) =>
      storage.node(path).listPage({ recursive: true, pageSize: 1, ...(cursor ? { cursor } : {}) });
    const fromB = (await walk('m:b')).cursor!;
    expect(fromB).toBeDefined();
    const err = await rejectsWith(walk('m:a', fromB), 'INVALID_INPUT');
    expectForeign(err.message, 'm:a', 'recursive listing');
    const level = (await storage.node('m:a').listPage({ pageSize: 1 })).cursor!;
    await rejectsWith(walk('m:a', level), 'INVALID_INPUT');
    const fromA = (await walk('m:a')).cursor!;
    await rejectsWith(storage.node('m:a').listPage({ pageSize: 1, cursor: fromA }), 'INVALID_INPUT');
    // Followed page by page, its own cursor walks the whole folder.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await walk('m:b', cursor);
      seen.push(...page.nodes.map((node) => node.path));
      cursor = page.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(['b/1.txt', 'b/2.txt', 'b/3.txt', 'b/sub', 'b/sub/4.txt']);
  });

  it('walkPage called directly names the folder it walks', async () => {
    const backend = await mounted(async (name) => [davMount(name, false)]);
    const fromB = (await walkPage(backend, 'b', { pageSize: 1 })).cursor!;
    const err = await rejectsWith(walkPage(backend, 'a', { pageSize: 1, cursor: fromB }), 'INVALID_INPUT');
    expect(err.message).toContain('the cursor belongs to another listing, not to the recursive listing of folder "a"');
  });
});
