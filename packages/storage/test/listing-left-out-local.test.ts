// What a local listing cannot list is reported (and counted by a copy), never passed over in silence: dangling links,
// links out of the mount root, FIFOs and sockets, and names that differ from another only in Unicode form (NFD/NFC).
// A dangling link is there for stat and delete (the link itself, as GNU rm).
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import { copyNode, moveNode } from '../src/copy/index.js';
import { LocalBackend, StorageManager, unreadableOf } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let root: string;
let storage: StorageManager;
let server: Server | undefined;

beforeEach(async () => {
  dir = await tempDir('ufs-left-out-');
  const base = await realpath(dir.path);
  root = join(base, 'root');
  await mkdir(join(root, 'real'), { recursive: true });
  await mkdir(join(base, 'outside'));
  await writeFile(join(base, 'outside', 'secret'), 'not yours');
  await writeFile(join(root, 'real', 'r.txt'), 'r');
  await mkdir(join(base, 'out'));
  storage = new StorageManager();
  await storage.configure([
    { name: 'disk', protocol: 'local', root },
    { name: 'out', protocol: 'local', root: join(base, 'out') },
  ]);
});
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  await storage.dispose();
  await dir.cleanup();
});

async function listReported(path: string): Promise<{ listed: string[]; reported: [string, string, string][] }> {
  const reported: UfsError[] = [];
  const listed: string[] = [];
  const report = (e: UfsError) => reported.push(e);
  for await (const node of storage.node(path).list({ recursive: true, onUnreadable: report, onInvalidName: report }))
    listed.push(node.path);
  return { listed, reported: reported.map((e) => [e.context.path as string, e.code, e.message]) };
}

describe('entries a local listing cannot list', () => {
  beforeEach(async () => {
    await symlink('nowhere', join(root, 'dangling'));
    await symlink('../outside', join(root, 'outlink'));
    await symlink('../outside/secret', join(root, 'outfile'));
    execFileSync('mkfifo', [join(root, 'pipe')]);
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(join(root, 'sock'), resolve));
    await symlink('pipe', join(root, 'to-pipe'));
  });

  it('are reported with why, each under its own key, and the listing goes on', async () => {
    const { listed, reported } = await listReported('disk:');
    expect(listed).toEqual(['real', 'real/r.txt']);
    expect(reported.map(([path, code]) => [path, code])).toEqual([
      ['disk:dangling', 'NOT_FOUND'],
      ['disk:outfile', 'PERMISSION_DENIED'],
      ['disk:outlink', 'PERMISSION_DENIED'],
      ['disk:pipe', 'UNSUPPORTED'],
      ['disk:sock', 'UNSUPPORTED'],
      ['disk:to-pipe', 'UNSUPPORTED'],
    ]);
    const messages = reported.map(([, , message]) => message);
    expect(messages[0]).toBe(
      '[ufs] [local] list "disk:dangling": left out of the listing: a dangling symbolic link (its target does not exist)',
    );
    expect(messages[1]).toMatch(/"disk:outfile": left out of the listing: a symbolic link to outside the mount root/);
    expect(messages[3]).toMatch(/"disk:pipe": left out of the listing: a FIFO, not a file or folder$/);
    expect(messages[4]).toMatch(/"disk:sock": left out of the listing: a socket, not a file or folder$/);
    expect(messages[5]).toMatch(/"disk:to-pipe": left out of the listing: a symbolic link to a FIFO/);
    // The backend itself yields them as unreadable entries (for callers below the node layer).
    const entries = (await new LocalBackend({ root, mountName: 'disk' }).list('')).entries;
    expect(entries.filter((e) => unreadableOf(e)).map((e) => e.key)).toEqual([
      'dangling',
      'outfile',
      'outlink',
      'pipe',
      'sock',
      'to-pipe',
    ]);
  });

  it('a copy of the tree counts each as a failure (no incomplete copy reported as complete)', async () => {
    const summary = await copyNode(storage.node('disk:'), storage.node('out:copy'));
    expect(summary.files).toBe(1);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([
      ['disk:dangling', 'NOT_FOUND'],
      ['disk:outfile', 'PERMISSION_DENIED'],
      ['disk:outlink', 'PERMISSION_DENIED'],
      ['disk:pipe', 'UNSUPPORTED'],
      ['disk:sock', 'UNSUPPORTED'],
      ['disk:to-pipe', 'UNSUPPORTED'],
    ]);
  });
});

describe('a dangling symbolic link', () => {
  beforeEach(() => symlink('nowhere', join(root, 'real', 'dl')));

  it('is there for stat (neither file nor folder) and delete removes the link itself, never its target', async () => {
    const node = storage.node('disk:real/dl');
    expect(await node.exists()).toBe(true);
    expect(await node.stat()).toMatchObject({ isFile: false, isDir: false, size: 0 });
    await rejectsWith(node.readText(), 'NOT_FOUND');
    await node.delete();
    expect(existsSync(join(root, 'real', 'dl'))).toBe(false);
    expect(await node.exists()).toBe(false);
    // Recursive as well, and the target made meanwhile outside the link is untouched.
    await symlink('../real/r.txt.gone', join(root, 'real', 'dl'));
    await node.delete({ recursive: true });
    expect(() => lstatSync(join(root, 'real', 'dl'))).toThrow();
    expect(await readdir(join(root, 'real'))).toEqual(['r.txt']);
  });

  it('copied by itself is NOT_FOUND (a failure), not an empty success', async () => {
    const summary = await copyNode(storage.node('disk:real/dl'), storage.node('out:x')).catch((e: UfsError) => e);
    const codes = 'errors' in summary ? summary.errors.map((e) => e.error.code) : [summary.code];
    expect(codes).toEqual(['NOT_FOUND']);
  });
});

describe('a symbolic link out of the mount root', () => {
  beforeEach(async () => {
    await symlink('../../outside', join(root, 'real', 'ol'));
    await symlink('../../outside/secret', join(root, 'real', 'of'));
  });

  it('is there for stat (the link, never its target), refused for reading, and delete removes the link only', async () => {
    for (const name of ['ol', 'of']) {
      const node = storage.node(`disk:real/${name}`);
      expect(await node.exists()).toBe(true);
      expect(await node.stat()).toMatchObject({ isFile: false, isDir: false, size: 0 });
      if (name === 'of') await rejectsWith(node.readText(), 'PERMISSION_DENIED');
      await node.delete();
      expect(existsSync(join(root, 'real', name))).toBe(false);
    }
    // What they pointed to is untouched.
    expect(await readFile(join(dir.path, 'outside', 'secret'), 'utf8')).toBe('not yours');
    expect(await readdir(join(root, 'real'))).toEqual(['r.txt']);
  });

  it('a path through it stays refused (only the link itself is described)', async () => {
    await rejectsWith(storage.node('disk:real/ol/secret').stat(), 'PERMISSION_DENIED');
    await rejectsWith(storage.node('disk:real/ol/secret').delete(), 'PERMISSION_DENIED');
    expect(await readFile(join(dir.path, 'outside', 'secret'), 'utf8')).toBe('not yours');
  });
});

describe('names that differ only in Unicode form', () => {
  const NFD = 'cafe\u0301.txt';
  const NFC = 'caf\u00e9.txt';

  it('list one entry per path: the name exactly as the key is listed, the other is reported', async () => {
    await mkdir(join(root, 'd'));
    await writeFile(join(root, 'd', NFD), 'nfd');
    await writeFile(join(root, 'd', NFC), 'nfc!');
    const { listed, reported } = await listReported('disk:d');
    expect(listed).toEqual([`d/${NFC}`]);
    expect(reported.map(([path, code]) => [path, code])).toEqual([[`disk:d/${NFC}`, 'INVALID_INPUT']]);
    expect(reported[0]![2]).toContain('the name "cafe\\u0301.txt" differs from "caf\\u00e9.txt" only in Unicode form');
    expect(await storage.node(`disk:d/${NFC}`).readText()).toBe('nfc!');
  });

  it('a copy copies the one its key names and fails the other; a move leaves the other where it is', async () => {
    await mkdir(join(root, 'd'));
    await writeFile(join(root, 'd', NFD), 'nfd');
    await writeFile(join(root, 'd', NFC), 'nfc!');
    const copied = await copyNode(storage.node('disk:d'), storage.node('out:c'));
    expect([copied.files, copied.errors.map((e) => e.error.code)]).toEqual([1, ['INVALID_INPUT']]);
    const moved = await moveNode(storage.node('disk:d'), storage.node('out:m'));
    expect([moved.files, moved.errors.map((e) => e.error.code)]).toEqual([1, ['INVALID_INPUT']]);
    expect(await readFile(join(root, 'd', NFD), 'utf8')).toBe('nfd');
    expect(existsSync(join(root, 'd', NFC))).toBe(false);
  });

  it('a name in NFD alone (from a Mac) is listed under its NFC key and reached by it', async () => {
    await writeFile(join(root, NFD), 'only nfd');
    const { listed, reported } = await listReported('disk:');
    expect(listed).toEqual(['real', 'real/r.txt', NFC].sort());
    expect(reported).toEqual([]);
    expect(await storage.node(`disk:${NFC}`).readText()).toBe('only nfd');
  });

  it('a name in mixed form, which no key reaches, is reported', async () => {
    const mixed = 'e\u0301t\u00e9.txt';
    await writeFile(join(root, mixed), 'mixed');
    const { listed, reported } = await listReported('disk:');
    expect(listed).toEqual(['real', 'real/r.txt']);
    expect(reported.map(([path, code]) => [path, code])).toEqual([['disk:\u00e9t\u00e9.txt', 'INVALID_INPUT']]);
    expect(reported[0]![2]).toContain('mixes Unicode forms');
  });
});
