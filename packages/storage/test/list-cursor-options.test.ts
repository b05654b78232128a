// A list cursor belongs to the listing that returned it, its options too: on memory, local, SFTP and WebDAV, a cursor of a one-level
// listing given to a recursive listing of the same folder, or one of a listing without temporary files given to one
// with `includeTemporary` (or the reverse), is refused with INVALID_INPUT (the message every backend gives) instead of
// resuming at a wrong place; a listing paged with its own cursors still gives every entry exactly once. Memory in
// this process, local on a temp folder, SFTP on the real sshd, WebDAV on the real webdav-server.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ListOptions, StorageBackend } from '@org/core';
import type { MountConfig } from '../src/index.js';
import { StorageManager } from '../src/index.js';
import { startWebdavServer } from '@org/test-services';
import { rejectsWith } from './helpers.js';
import { sftpEndpoint, sftpMount } from './services/sftp.js';

const sshd = await sftpEndpoint();
const dav = await startWebdavServer('basic');
const base = realpathSync(mkdtempSync(join(tmpdir(), 'ufs-cursor-options-')));
afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await sshd.stop();
  await dav.stop();
}, 30_000);

let storage: StorageManager;
let run = 0;
beforeEach(() => {
  storage = new StorageManager();
});
afterEach(() => storage.dispose());

const NAMES = ['1.txt', '2.txt', '3.txt', 'sub/4.txt', 'sub/5.txt'];

interface Setup {
  mount(): MountConfig;
  /** Puts a temporary file (what a dropped upload leaves) into folder `a`, where the backend has such files. */
  temporary?(): void;
}

let sftpRoot = '';
let localRoot = '';
let davFolder = '';
const TEMPORARY: Record<string, string> = {
  local: '.ufs-0123456789abcdef.tmp',
  sftp: '.ufs-upload-0123456789abcdef',
  webdav: '.ufs-upload-0123456789abcdef',
};
const setups: Record<string, Setup> = {
  memory: { mount: () => ({ name: 'm', protocol: 'memory' }) },
  local: {
    mount: () => {
      localRoot = join(base, `local-${++run}`);
      mkdirSync(localRoot);
      return { name: 'm', protocol: 'local', root: localRoot };
    },
    temporary: () => writeFileSync(join(localRoot, 'a', TEMPORARY.local!), 'partial'),
  },
  webdav: {
    mount: () => {
      davFolder = `dav-${++run}`;
      mkdirSync(join(dav.dir, davFolder));
      return {
        name: 'm',
        protocol: 'webdav',
        url: `${dav.url}${davFolder}/`,
        username: dav.username,
        password: dav.password,
        depthInfinity: true,
      };
    },
    temporary: () => writeFileSync(join(dav.dir, davFolder, 'a', TEMPORARY.webdav!), 'partial'),
  },
  sftp: {
    mount: () => {
      sftpRoot = join(base, `sftp-${++run}`);
      mkdirSync(sftpRoot);
      return sftpMount(sshd, sftpRoot, 'm');
    },
    temporary: () => writeFileSync(join(sftpRoot, 'a', TEMPORARY.sftp!), 'partial'),
  },
};

async function mounted(setup: Setup): Promise<StorageBackend> {
  await storage.configure([setup.mount()]);
  for (const name of NAMES) await storage.node(`m:a/${name}`).writeText(name);
  setup.temporary?.();
  return storage.resolveMount('m').backend();
}

async function cursorOf(backend: StorageBackend, options: ListOptions = {}): Promise<string> {
  const page = await backend.list('a', { ...options, pageSize: 1 });
  expect(page.cursor).toBeDefined();
  return page.cursor!;
}

/** Every key of the listing of folder `a`, one page of `pageSize` at a time, following its own cursors. */
async function paged(backend: StorageBackend, options: ListOptions, pageSize: number): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await backend.list('a', { ...options, pageSize, cursor });
    keys.push(...page.entries.map((e) => e.key));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return keys;
}

async function refused(backend: StorageBackend, options: ListOptions): Promise<void> {
  const err = await rejectsWith(backend.list('a', { pageSize: 1, ...options }), 'INVALID_INPUT');
  expect(err.message).toMatch(/^\[ufs\] /);
  expect(err.message).toContain('list "m:a"');
  expect(err.message).toContain('the cursor belongs to another listing');
}

describe.each(Object.keys(setups))('a list cursor on %s', (protocol) => {
  const setup = setups[protocol]!;

  it('of a one-level listing is refused by a recursive listing of the same folder', async () => {
    const backend = await mounted(setup);
    const cursor = await cursorOf(backend);
    if (protocol === 'sftp') {
      // SFTP lists no folder recursively: the cursor is refused with the listing itself.
      await rejectsWith(backend.list('a', { pageSize: 1, recursive: true, cursor }), 'UNSUPPORTED');
    } else {
      await refused(backend, { recursive: true, cursor });
      await refused(backend, { recursive: true, includeTemporary: true, cursor });
    }
  });

  it('of a listing without temporary files is refused by one with them, and the reverse', async () => {
    const backend = await mounted(setup);
    const without = await cursorOf(backend);
    await refused(backend, { includeTemporary: true, cursor: without });
    const withTemporary = await cursorOf(backend, { includeTemporary: true });
    await refused(backend, { cursor: withTemporary });
    await refused(backend, { includeTemporary: false, cursor: withTemporary });
    // Each cursor still works for its own listing (`includeTemporary: false` is the listing without).
    expect((await backend.list('a', { pageSize: 1, cursor: without })).entries).toHaveLength(1);
    expect((await backend.list('a', { pageSize: 1, includeTemporary: false, cursor: without })).entries).toHaveLength(
      1,
    );
    const next = await backend.list('a', { pageSize: 1, includeTemporary: true, cursor: withTemporary });
    expect(next.entries).toHaveLength(1);
  });

  it('of its own listing gives every entry exactly once, page after page', async () => {
    const backend = await mounted(setup);
    const level = ['a/1.txt', 'a/2.txt', 'a/3.txt', 'a/sub'];
    const temporary = setup.temporary ? [`a/${TEMPORARY[protocol]}`] : [];
    for (const pageSize of [1, 2, 3]) {
      expect(await paged(backend, {}, pageSize)).toEqual(level);
      expect(await paged(backend, { includeTemporary: true }, pageSize)).toEqual([...temporary, ...level]);
      if (protocol !== 'sftp') {
        const all = ['a/1.txt', 'a/2.txt', 'a/3.txt', 'a/sub', 'a/sub/4.txt', 'a/sub/5.txt'];
        expect(await paged(backend, { recursive: true }, pageSize)).toEqual(all);
        expect(await paged(backend, { recursive: true, includeTemporary: true }, pageSize)).toEqual([
          ...temporary,
          ...all,
        ]);
      }
    }
  });
});

it('an SFTP cursor made before cursors named their temporary files is still taken by a listing without them', async () => {
  const backend = await mounted(setups.sftp!);
  // The shape SFTP cursors had: the last name and the folder listed.
  const old = Buffer.from(JSON.stringify({ after: '1.txt', of: 'l:a' }), 'utf8').toString('base64url');
  const page = await backend.list('a', { pageSize: 10, cursor: old });
  expect(page.entries.map((e) => e.key)).toEqual(['a/2.txt', 'a/3.txt', 'a/sub']);
  await refused(backend, { includeTemporary: true, cursor: old });
});
