// A list cursor belongs to the listing that returned it (the folder, recursive or not): passed to the listing of
// another folder, it would resume at a wrong place, so every backend refuses it with INVALID_INPUT naming the folder.
// Memory and local in this process, S3 on the real radosgw, SFTP on the real sshd.
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ListOptions, StorageBackend } from '@org/core';
import type { MountConfig } from '../src/index.js';
import { StorageManager } from '../src/index.js';
import { rejectsWith } from './helpers.js';
import { s3Fixture } from './services/s3.js';
import { sftpEndpoint, sftpMount } from './services/sftp.js';

const fixture = await s3Fixture('cursors');
const sshd = await sftpEndpoint();
const base = realpathSync(mkdtempSync(join(tmpdir(), 'ufs-cursors-')));
afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await sshd.stop();
}, 30_000);

let storage: StorageManager;
let run = 0;
beforeEach(() => {
  storage = new StorageManager();
});
afterEach(() => storage.dispose());

const s3 = (name: string, prefix: string): MountConfig => ({
  name,
  protocol: 's3',
  bucket: fixture.bucket,
  prefix,
  ...fixture.connection,
  forcePathStyle: true,
});

const setups: Record<string, () => MountConfig> = {
  memory: () => ({ name: 'm', protocol: 'memory' }),
  local: () => ({ name: 'm', protocol: 'local', root: join(base, `local-${++run}`) }),
  s3: () => s3('m', `run-${++run}`),
  sftp: () => {
    const root = join(base, `sftp-${++run}`);
    mkdirSync(root);
    return sftpMount(sshd, root, 'm');
  },
};

async function mounted(setup: () => MountConfig): Promise<StorageBackend> {
  await storage.configure([setup()]);
  for (const folder of ['a', 'b']) {
    for (const name of ['1.txt', '2.txt', '3.txt']) await storage.node(`m:${folder}/${name}`).writeText(name);
    await storage.node(`m:${folder}/sub/4.txt`).writeText('4');
  }
  return storage.resolveMount('m').backend();
}

async function cursorOf(backend: StorageBackend, key: string, options: ListOptions = {}): Promise<string> {
  const page = await backend.list(key, { ...options, pageSize: 1 });
  expect(page.cursor).toBeDefined();
  return page.cursor!;
}

describe.each(Object.keys(setups))('a list cursor on %s', (protocol) => {
  it("of folder b's listing is refused by folder a's listing, naming the folder", async () => {
    const backend = await mounted(setups[protocol]!);
    const fromB = await cursorOf(backend, 'b');
    const err = await rejectsWith(backend.list('a', { pageSize: 1, cursor: fromB }), 'INVALID_INPUT');
    expect(err.message).toMatch(/^\[ufs\] /);
    expect(err.message).toContain('list "m:a"');
    expect(err.message).toContain('the cursor belongs to another listing');
    // The cursor still works for its own listing.
    const next = await backend.list('b', { pageSize: 1, cursor: fromB });
    expect(next.entries.map((e) => e.key)).toEqual(['b/2.txt']);
  });

  // SFTP has no recursive listing.
  if (protocol !== 'sftp') {
    it('of a recursive listing is refused by a one-level listing of the same folder, and the reverse', async () => {
      const backend = await mounted(setups[protocol]!);
      const recursive = await cursorOf(backend, 'a', { recursive: true });
      await rejectsWith(backend.list('a', { pageSize: 1, cursor: recursive }), 'INVALID_INPUT');
      const level = await cursorOf(backend, 'a');
      await rejectsWith(backend.list('a', { pageSize: 1, cursor: level, recursive: true }), 'INVALID_INPUT');
      const deeper = await cursorOf(backend, '', { recursive: true });
      await rejectsWith(backend.list('a', { pageSize: 1, cursor: deeper, recursive: true }), 'INVALID_INPUT');
    });
  }
});

it('an S3 cursor of a mount with another prefix is refused, though the folder key is the same', async () => {
  await storage.configure([s3('one', `run-${++run}`), s3('two', `run-${++run}`)]);
  for (const mount of ['one', 'two'])
    for (const name of ['1.txt', '2.txt']) await storage.node(`${mount}:a/${name}`).writeText(name);
  const one = storage.resolveMount('one').backend();
  const two = storage.resolveMount('two').backend();
  const cursor = await cursorOf(one, 'a');
  const err = await rejectsWith(two.list('a', { pageSize: 1, cursor }), 'INVALID_INPUT');
  expect(err.message).toContain('list "two:a"');
  expect(err.message).toContain('the cursor belongs to another listing');
});
