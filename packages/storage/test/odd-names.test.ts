import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import { StorageManager } from '../src/index.js';
import { tempDir, warningLogger, type Warning } from './helpers.js';

// Names Linux allows that can never be keys: one hides nothing, it is left out and reported.
const BACKSLASH = 'back\\slash.txt';
const CONTROL = 'bell\u0007.txt';
// Names a Mac writes decomposed (NFD); their keys are NFC.
const CAFE_NFD = 'cafe\u0301.txt';
const CAFE = 'caf\u00e9.txt';
const RESUME_NFD = 're\u0301sume\u0301';
const RESUME = 'r\u00e9sum\u00e9';

let dir: { path: string; cleanup: () => Promise<void> };
let root: string;
let warnings: Warning[];
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir();
  root = join(dir.path, 'root');
  const log = warningLogger();
  warnings = log.warnings;
  storage = new StorageManager({ logger: log.logger });
  await storage.configure([
    { name: 'disk', protocol: 'local', root },
    { name: 'mem', protocol: 'memory' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

async function files(names: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(names)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), text);
  }
}

describe('names that are legal on disk', () => {
  beforeEach(() =>
    files({
      'src/ok.txt': 'ok',
      'src/100%2Fdone.txt': 'percent',
      [`src/${BACKSLASH}`]: 'backslash',
      [`src/${CONTROL}`]: 'control',
      'src/sub/deep.txt': 'deep',
    }),
  );

  it('a percent-escape is part of the name: listed and read as it is', async () => {
    const names = (await storage.node('disk:src').children()).map((n) => n.basename);
    expect(names).toEqual(['100%2Fdone.txt', 'ok.txt', 'sub']);
    expect(await storage.node('disk:src/100%2Fdone.txt').readText()).toBe('percent');
    expect(await storage.node('disk:src/100').exists()).toBe(false);
  });

  it('a name that cannot be a key is left out and reported; its siblings are listed', async () => {
    const reported: UfsError[] = [];
    const names = (await storage.node('disk:src').children({ onInvalidName: (e) => reported.push(e) })).map(
      (n) => n.path,
    );
    expect(names).toEqual(['src/100%2Fdone.txt', 'src/ok.txt', 'src/sub']);
    expect(reported.map((e) => [e.code, e.context.path])).toEqual([
      ['INVALID_INPUT', `disk:src/${BACKSLASH}`],
      ['INVALID_INPUT', `disk:src/${CONTROL}`],
    ]);
    expect(reported[0]!.message).toBe(
      '[ufs] [local] list "disk:src/back\\\\slash.txt": left out of the listing: backslashes are not allowed (use "/")',
    );
    expect(reported[1]!.message).toBe(
      '[ufs] [local] list "disk:src/bell\\u0007.txt": left out of the listing: contains NUL or a control character',
    );
    expect(warnings).toEqual([]);

    // Without a handler: warnings through the manager's logger, naming the mount and the entry.
    const all = [];
    for await (const node of storage.node('disk:').list({ recursive: true })) all.push(node.path);
    expect(all).toEqual(['src', 'src/100%2Fdone.txt', 'src/ok.txt', 'src/sub', 'src/sub/deep.txt']);
    expect(warnings.map((w) => [w.message.replace(/: left out .*/, ''), w.fields])).toEqual([
      [
        '[ufs] [local] list "disk:src/back\\\\slash.txt"',
        { code: 'INVALID_INPUT', mount: 'disk', path: `disk:src/${BACKSLASH}` },
      ],
      [
        '[ufs] [local] list "disk:src/bell\\u0007.txt"',
        { code: 'INVALID_INPUT', mount: 'disk', path: `disk:src/${CONTROL}` },
      ],
    ]);
  });

  it('a tree copy copies every good file and reports each other one as its own failure', async () => {
    const summary = await storage.node('disk:src').copyTo(storage.node('mem:out'));
    expect(summary.files).toBe(3);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([
      [`disk:src/${BACKSLASH}`, 'INVALID_INPUT'],
      [`disk:src/${CONTROL}`, 'INVALID_INPUT'],
    ]);
    expect(summary.errors[0]!.error.message).toMatch(/left out of the listing: backslashes are not allowed/);
    expect(await storage.node('mem:out/100%2Fdone.txt').readText()).toBe('percent');
    expect(await storage.node('mem:out/sub/deep.txt').readText()).toBe('deep');
    // Reported once, as copy failures, not also as warnings.
    expect(warnings).toEqual([]);
  });
});

describe('names in NFD (from a Mac) on the local backend', () => {
  beforeEach(() =>
    files({
      [`docs/${CAFE_NFD}`]: 'nfd file',
      [`docs/${RESUME_NFD}/cv.txt`]: 'in an nfd folder',
    }),
  );

  it('lists them under their NFC key, and that key reads, stats and lists them', async () => {
    const listed = await storage.node('disk:docs').children();
    expect(listed.map((n) => n.basename)).toEqual([CAFE, RESUME]);
    expect(await listed[0]!.readText()).toBe('nfd file');
    expect(await storage.node(`disk:docs/${CAFE}`).stat()).toMatchObject({ isFile: true, size: 8 });
    expect((await listed[1]!.children()).map((n) => n.path)).toEqual([`docs/${RESUME}/cv.txt`]);
    expect(await storage.node(`disk:docs/${RESUME}/cv.txt`).readText()).toBe('in an nfd folder');
    const summary = await storage.node('disk:docs').copyTo(storage.node('mem:copy'));
    expect({ files: summary.files, errors: summary.errors }).toEqual({ files: 2, errors: [] });
    expect(await storage.node(`mem:copy/${RESUME}/cv.txt`).readText()).toBe('in an nfd folder');
  });

  it('writes, appends and deletes act on the file that is there, never on an NFC twin', async () => {
    await storage.node(`disk:docs/${CAFE}`).writeText('replaced');
    await storage.node(`disk:docs/${CAFE}`).append(Readable.from([Buffer.from(', then appended')]));
    await storage.node(`disk:docs/${RESUME}/new.txt`).writeText('new in the nfd folder');
    expect((await readdir(join(root, 'docs'))).sort()).toEqual([CAFE_NFD, RESUME_NFD].sort());
    expect(await readFile(join(root, 'docs', CAFE_NFD), 'utf8')).toBe('replaced, then appended');
    expect((await readdir(join(root, 'docs', RESUME_NFD))).sort()).toEqual(['cv.txt', 'new.txt']);
    await storage.node(`disk:docs/${CAFE}`).delete();
    await storage.node(`disk:docs/${RESUME}`).delete({ recursive: true });
    expect(await readdir(join(root, 'docs'))).toEqual([]);
  });
});
