// A local name whose bytes are not valid UTF-8 (Linux allows any bytes but "/" and NUL) can never be a key: a listing
// reports it (unreadable, INVALID_INPUT, its bytes escaped) instead of leaving it out in silence, a copy counts it
// among its errors, and a recursive delete (or a move) of its folder names it as what stops it.
import { existsSync } from 'node:fs';
import { mkdir, readdir, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import { copyNode, moveNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let root: string;
let storage: StorageManager;
// "bad\xff\xfename": as a Latin-1 system or a broken archive leaves it.
const BAD = Buffer.concat([Buffer.from('bad'), Buffer.from([0xff, 0xfe]), Buffer.from('name')]);
const SHOWN = 'bad\uFFFD\uFFFDname';

beforeEach(async () => {
  dir = await tempDir('ufs-not-utf8-');
  const base = await realpath(dir.path);
  root = join(base, 'root');
  await mkdir(join(root, 'u8', 'sub'), { recursive: true });
  await mkdir(join(base, 'out'));
  await writeFile(Buffer.concat([Buffer.from(join(root, 'u8') + '/'), BAD]), 'x');
  await writeFile(join(root, 'u8', 'ok'), 'y');
  await writeFile(join(root, 'u8', 'sub', 'deep.txt'), 'z');
  storage = new StorageManager();
  await storage.configure([
    { name: 'disk', protocol: 'local', root },
    { name: 'out', protocol: 'local', root: join(base, 'out') },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

async function listReported(path: string, recursive: boolean): Promise<{ listed: string[]; reported: UfsError[] }> {
  const reported: UfsError[] = [];
  const listed: string[] = [];
  const report = (e: UfsError) => reported.push(e);
  for await (const node of storage.node(path).list({ recursive, onUnreadable: report, onInvalidName: report }))
    listed.push(node.path);
  return { listed, reported };
}

describe('local names that are not valid UTF-8', () => {
  it.each([false, true])('are reported by a listing, never left out in silence (recursive: %s)', async (recursive) => {
    const { listed, reported } = await listReported('disk:u8', recursive);
    expect(listed).toEqual(recursive ? ['u8/ok', 'u8/sub', 'u8/sub/deep.txt'] : ['u8/ok', 'u8/sub']);
    expect(reported.map((e) => [e.code, e.context.path])).toEqual([['INVALID_INPUT', `disk:u8/${SHOWN}`]]);
    expect(reported[0]!.message).toContain('the name "bad\\xff\\xfename" is not valid UTF-8');
  });

  it('the backend lists it as an unreadable entry, page after page', async () => {
    const backend = storage.node('disk:').backend;
    const first = await backend.list('u8', { pageSize: 1 });
    const keys = [...first.entries];
    for (let cursor = first.cursor; cursor !== undefined;) {
      const page = await backend.list('u8', { pageSize: 1, cursor });
      keys.push(...page.entries);
      cursor = page.cursor;
    }
    expect(keys.map((e) => [e.key, 'unreadable' in e])).toEqual([
      [`u8/${SHOWN}`, true],
      ['u8/ok', false],
      ['u8/sub', false],
    ]);
  });

  it('a copy counts it among its errors; a move leaves it and its folder where they are', async () => {
    const copied = await copyNode(storage.node('disk:u8'), storage.node('out:c'));
    expect(copied.files).toBe(2);
    expect(copied.errors.map((e) => [e.path, e.error.code])).toEqual([[`disk:u8/${SHOWN}`, 'INVALID_INPUT']]);
    const moved = await moveNode(storage.node('disk:u8'), storage.node('out:m'));
    expect(moved.files).toBe(2);
    expect(moved.errors.map((e) => e.error.code)).toContain('INVALID_INPUT');
    expect(moved.errors[0]!.error.message).toContain('is not valid UTF-8');
    expect((await readdir(join(root, 'u8'), { encoding: 'buffer' })).map((b) => b.toString('hex'))).toEqual([
      BAD.toString('hex'),
    ]);
  });

  it('a recursive delete of its folder fails naming it (not a bare "not empty"), the rest removed', async () => {
    const error = await rejectsWith(storage.node('disk:u8').delete({ recursive: true }), 'INVALID_INPUT');
    expect(error.context.path).toBe(`disk:u8/${SHOWN}`);
    expect(error.message).toContain('the name "bad\\xff\\xfename" is not valid UTF-8');
    expect(existsSync(join(root, 'u8', 'ok'))).toBe(false);
    expect(existsSync(join(root, 'u8', 'sub'))).toBe(false);
  });

  it('emptying the mount root names it too', async () => {
    const error = await rejectsWith(storage.node('disk:').delete({ recursive: true }), 'INVALID_INPUT');
    expect(error.context.path).toBe(`disk:u8/${SHOWN}`);
    expect(error.message).toContain('is not valid UTF-8');
  });
});
