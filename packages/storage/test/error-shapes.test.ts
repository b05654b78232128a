// One shape for the errors about a key of a mount, whichever layer raises them: the backend (a read of a missing
// file) or the node layer above it (a stat of a missing file, a path that names a folder, an operation the mount
// refuses). Both read `[ufs] [<protocol>] <operation> "<mount>:<key>": …` with the context filled alike, so that
// the two cannot drift apart again.
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { describeContext, type UfsError } from '@org/core';
import { copyNode } from '../src/copy/index.js';
import { MemoryBackend, StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir('ufs-error-shapes-');
  storage = new StorageManager();
  await storage.configure([
    { name: 'disk', protocol: 'local', root: join(dir.path, 'disk') },
    { name: 'mem', url: 'memory://' },
    { name: 'ro', url: 'memory://', permissions: 'readonly' },
    { name: 'docs', path: 'disk:team/docs' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** The shape every such error has: its message starts with the prefix its context describes. */
function expectShape(error: UfsError, protocol: string, mount: string, operation: string, key: string): void {
  expect(error.context).toMatchObject({ backend: protocol, mount, operation, path: `${mount}:${key}` });
  expect(error.message.startsWith(`${describeContext(error.context)} `)).toBe(true);
  expect(error.message.startsWith(`[ufs] [${protocol}] ${operation} "${mount}:${key}": `)).toBe(true);
}

describe.each([
  ['disk', 'local'],
  ['mem', 'memory'],
])('errors of mount %s (%s)', (mount, protocol) => {
  it('a backend error and a node-layer error of the same mount have the same shape', async () => {
    const node = storage.node(`${mount}:missing.txt`);
    // Raised by the backend itself.
    const read = await rejectsWith(node.readText(), 'NOT_FOUND');
    // Raised by the node layer (the backend's stat answers null).
    const stat = await rejectsWith(node.stat(), 'NOT_FOUND');
    expectShape(read, protocol, mount, 'read', 'missing.txt');
    expectShape(stat, protocol, mount, 'stat', 'missing.txt');
    expect(stat.message).toBe(`[ufs] [${protocol}] stat "${mount}:missing.txt": no such file or folder`);
    const { operation: _r, ...fromBackend } = read.context;
    const { operation: _s, ...fromNode } = stat.context;
    expect(fromNode).toEqual(fromBackend);
  });

  it('every node-layer helper names the key the same way', async () => {
    await storage.node(`${mount}:t.txt`).writeText('t');
    const slashed = await rejectsWith(storage.node(`${mount}:t.txt/`).stat(), 'INVALID_INPUT');
    expectShape(slashed, protocol, mount, 'stat', 't.txt/');
    const onto = await rejectsWith(storage.node(`${mount}:t.txt/`).writeText('x'), 'INVALID_INPUT');
    expectShape(onto, protocol, mount, 'write', 't.txt/');
    const hash = await rejectsWith(storage.node(`${mount}:`).hash(), 'INVALID_INPUT');
    expectShape(hash, protocol, mount, 'hash', '');
    const url = await rejectsWith(storage.node(`${mount}:t.txt`).url(), 'UNSUPPORTED');
    expectShape(url, protocol, mount, 'url', 't.txt');
    const version = await rejectsWith(
      Promise.resolve().then(() => storage.node(`${mount}:t.txt`).atVersion('v1')),
      'UNSUPPORTED',
    );
    expectShape(version, protocol, mount, 'atVersion', 't.txt');
    // The copy engine's refusal to overwrite names the destination the same way.
    await storage.node(`${mount}:u.txt`).writeText('u');
    const summary = await copyNode(storage.node(`${mount}:t.txt`), storage.node(`${mount}:u.txt`), {
      overwrite: false,
    });
    expect(summary.errors.map((e) => e.error.code)).toEqual(['ALREADY_EXISTS']);
    expect(summary.errors[0]!.error.message).toBe(
      `[ufs] copy "${mount}:t.txt" → "${mount}:u.txt": [${protocol}] copy "${mount}:u.txt": already exists (overwrite: false)`,
    );
  });
});

describe('mounts that are not a plain backend mount', () => {
  it('a readonly mount: the refusal names its protocol and the key in the mount', async () => {
    const refused = await rejectsWith(storage.node('ro:a.txt').writeText('no'), 'PERMISSION_DENIED');
    expectShape(refused, 'memory', 'ro', 'write', 'a.txt');
    expect(refused.message).toBe('[ufs] [memory] write "ro:a.txt": mount "ro" is readonly');
    // The permission layer under the node layer says it alike.
    const layer = await rejectsWith(storage.node('ro:').backend.mkdir('b', {}), 'PERMISSION_DENIED');
    expectShape(layer, 'memory', 'ro', 'mkdir', 'b');
  });

  it("a relative mount: its parent's protocol and its own name and key", async () => {
    const missing = await rejectsWith(storage.node('docs:gone.txt').stat(), 'NOT_FOUND');
    expectShape(missing, 'local', 'docs', 'stat', 'gone.txt');
  });

  it('a mounted backend instance: its protocol, also for what it throws that is not a UfsError', async () => {
    const backend = new MemoryBackend({ mountName: 'own' });
    backend.read = async () => {
      throw new TypeError('broken');
    };
    await storage.mountBackend('own', backend);
    const error = await rejectsWith(storage.node('own:x.txt').readText(), 'UNEXPECTED');
    expectShape(error, 'memory', 'own', 'read', 'x.txt');
    expect(error.message).toBe('[ufs] [memory] read "own:x.txt": broken');
  });

  it('a listing report of an entry that cannot be read names it as the backend does', async () => {
    await storage.node('disk:ok.txt').writeText('ok');
    await symlink('loop', join(dir.path, 'disk', 'loop'));
    const reported: UfsError[] = [];
    await storage.node('disk:').children({ onUnreadable: (e) => reported.push(e) });
    expect(reported).toHaveLength(1);
    const [report] = reported as [UfsError];
    expect(report.message).toMatch(/^\[ufs\] \[local\] list "disk:loop": left out of the listing: /);
    // Its context.path is still the key alone: the copy engine reads it back (see reportContext in node/folders.ts).
    expect(report.context).toMatchObject({ backend: 'local', mount: 'disk', operation: 'list', path: 'loop' });
    // The backend's own error, kept as the cause, names the entry the same way.
    expect((report.cause as UfsError).message).toMatch(/^\[ufs\] \[local\] \w+ "disk:loop": /);
  });
});
