// Dropbox against the local API fake, through a StorageManager: two mounts of one account are one storage (a copy or
// move onto itself is refused, names compared case-insensitively as Dropbox does); a tree whose names differ only in
// case cannot send two files to one Dropbox file; temporary links last 4 hours and no other expiry is claimed;
// errors say in words what Dropbox's summaries mean, the summary kept in the context.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../../src/copy/index.js';
import type { ErrorCode } from '@org/core';
import { StorageManager } from '../../src/index.js';
import { startDropboxFake } from '@org/test-services';
import { rejectsWith, tempDir } from '../helpers.js';

const fake = await startDropboxFake();
const other = await startDropboxFake();
afterAll(async () => Promise.all([fake.close(), other.close()]));
fake.tokens.add('token-one');
fake.tokens.add('token-two');
other.tokens.add('token-one');

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let root: string;

beforeEach(async () => {
  dir = await tempDir('ufs-dropbox-identity-');
  root = `Apps/i${randomBytes(3).toString('hex')}`;
  const dropbox = { protocol: 'dropbox', apiBaseUrl: fake.url };
  storage = new StorageManager();
  await storage.configure([
    { name: 'box', ...dropbox, accessToken: 'token-one', root },
    // The same account and folder through another token, with the root spelt in another case.
    { name: 'box2', ...dropbox, accessToken: 'token-two', root: root.toUpperCase() },
    // The same account, a folder of it as root.
    { name: 'sub', ...dropbox, accessToken: 'token-one', root: `${root}/Tree` },
    // Another account (another fake) with the same token and root.
    { name: 'elsewhere', protocol: 'dropbox', apiBaseUrl: other.url, accessToken: 'token-one', root },
    { name: 'loc', protocol: 'local', root: dir.path },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** The files below a folder, by path relative to it. */
async function keys(path: string): Promise<string[]> {
  const folder = storage.node(path);
  const found: string[] = [];
  for await (const node of folder.list({ recursive: true }))
    if (node.listed?.isFile) found.push(folder.path === '' ? node.path : node.path.slice(folder.path.length + 1));
  return found.sort();
}

describe('two Dropbox mounts of one account', () => {
  it('refuse moving or copying a file onto itself, in any case', async () => {
    await storage.node('box:f.txt').writeText('precious');
    for (const dest of ['box2:f.txt', 'box2:F.TXT']) {
      for (const run of [moveNode, copyNode]) {
        const error = await rejectsWith(run(storage.node('box:f.txt'), storage.node(dest)), 'INVALID_INPUT');
        expect(error.message).toContain('source and destination are the same file');
      }
    }
    expect(await storage.node('box:f.txt').readText()).toBe('precious');
    await storage.node('box:Tree/t.txt').writeText('in tree');
    await rejectsWith(moveNode(storage.node('sub:t.txt'), storage.node('box:tree/T.txt')), 'INVALID_INPUT');
    expect(await storage.node('box:Tree/t.txt').readText()).toBe('in tree');
  });

  it('refuse moving a tree onto itself, and keep all its files', async () => {
    const names = Array.from({ length: 13 }, (_, i) => `selftree/${i % 3 === 0 ? `d${i}/` : ''}f${i}.txt`);
    for (const name of names) await storage.node(`box:${name}`).writeText(name);
    const error = await rejectsWith(
      moveNode(storage.node('box:selftree'), storage.node('box2:selftree')),
      'INVALID_INPUT',
    );
    expect(error.message).toContain('the destination is inside the source folder');
    await rejectsWith(copyNode(storage.node('box:selftree'), storage.node('box2:SelfTree')), 'INVALID_INPUT');
    expect(await keys('box:selftree')).toEqual(names.map((name) => name.slice('selftree/'.length)).sort());
  });

  it('still rename a file to another case on one mount, and copy between accounts', async () => {
    await storage.node('box:a.txt').writeText('renamed');
    await storage.node('box:a.txt').moveTo(storage.node('box:A.txt'));
    expect(await keys('box:')).toEqual(['A.txt']);
    expect(await storage.node('box:A.txt').readText()).toBe('renamed');
    const summary = await copyNode(storage.node('box:A.txt'), storage.node('elsewhere:A.txt'));
    expect(summary).toMatchObject({ files: 1, errors: [] });
    expect(await storage.node('elsewhere:A.txt').readText()).toBe('renamed');
  });
});

describe('names that differ only in case, copied to Dropbox', () => {
  beforeEach(async () => {
    await mkdir(join(dir.path, 'case', 'Dir'), { recursive: true });
    await mkdir(join(dir.path, 'case', 'dir'));
    const files: Array<[string, string]> = [
      ['A.txt', 'upper'],
      ['a.txt', 'lower'],
      ['Dir/x.txt', 'upper dir'],
      ['dir/x.txt', 'lower dir'],
      ['b.txt', 'alone'],
    ];
    for (const [name, text] of files) await writeFile(join(dir.path, 'case', name), text);
  });

  it('a copy sends the first of each name and fails the others', async () => {
    const summary = await copyNode(storage.node('loc:case'), storage.node('box:case'));
    expect(summary.files).toBe(3);
    expect(summary.errors.map((e) => e.path).sort()).toHaveLength(2);
    for (const failure of summary.errors) {
      expect(failure.error.code).toBe('INVALID_INPUT');
      expect(failure.error.message).toContain('does not tell upper from lower case');
      expect(failure.error.message).toContain('not copied');
    }
    const copied = await keys('box:case');
    expect(copied).toHaveLength(3);
    // Each Dropbox file holds the content of the source file reported as copied under its name.
    const failed = new Set(summary.errors.map((e) => e.path));
    for (const name of ['A.txt', 'a.txt', 'Dir/x.txt', 'dir/x.txt'].filter((n) => !failed.has(`loc:case/${n}`))) {
      const text = await storage.node(`loc:case/${name}`).readText();
      expect(await storage.node(`box:case/${name}`).readText()).toBe(text);
    }
  });

  it('a move keeps the files it could not send', async () => {
    const summary = await moveNode(storage.node('loc:case'), storage.node('box:case'));
    expect(summary.files).toBe(3);
    expect(summary.errors).toHaveLength(2);
    for (const failure of summary.errors) expect(failure.error.message).toContain('it stays at the source');
    const left = summary.errors.map((e) => e.path.replace(/^loc:case\//, '')).sort();
    const onDisk = [...(await readdir(join(dir.path, 'case'), { recursive: true, withFileTypes: true }))]
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(join(dir.path, 'case').length + 1))
      .sort();
    expect(onDisk).toEqual(left);
    expect(await keys('box:case')).toHaveLength(3);
  });

  it('a destination that tells case apart takes all of them', async () => {
    const summary = await copyNode(storage.node('loc:case'), storage.node('loc:copy'));
    expect(summary).toMatchObject({ files: 5, errors: [] });
  });
});

describe('Dropbox temporary links', () => {
  it('last 4 hours: asked for with no expiry, refused for any shorter one', async () => {
    const node = storage.node('box:link.txt');
    await node.writeText('linked');
    expect(await (await fetch(await node.url())).text()).toBe('linked');
    expect(await (await fetch(await node.url({ expiresIn: 14_400 }))).text()).toBe('linked');
    const error = await rejectsWith(node.url({ expiresIn: 600 }), 'UNSUPPORTED');
    expect(error.message).toBe(
      '[ufs] [dropbox] url "box:link.txt": Dropbox temporary links always last 4 hours (14400 s) and cannot be made ' +
        'shorter: a link for 600 s cannot be given (ask for 14400 s, or give no expiry)',
    );
    await rejectsWith(node.url({ expiresIn: 14_401 }), 'INVALID_INPUT');
  });
});

describe('Dropbox errors in words', () => {
  it('name what was wrong, the summary kept in the context', async () => {
    await storage.node('box:folder/in.txt').writeText('x');
    const cases: Array<[() => Promise<unknown>, ErrorCode, string, RegExp]> = [
      [
        () => storage.node('box:missing.txt').readText(),
        'NOT_FOUND',
        'read "box:missing.txt": no such file or folder',
        /^path\/not_found/,
      ],
      [
        () => storage.node('box:folder').readText(),
        'INVALID_INPUT',
        'read "box:folder": is a folder, not a file',
        /^path\/not_file/,
      ],
      [
        () => storage.node('box:missing.txt').url(),
        'NOT_FOUND',
        'url "box:missing.txt": no such file or folder',
        /^path\/not_found/,
      ],
      [
        () => storage.node('box:folder/in.txt').writeText('y', { ifNotExists: true }),
        'ALREADY_EXISTS',
        'write "box:folder/in.txt": a file already exists there',
        /conflict\/file/,
      ],
      [
        () => storage.node('box:folder').backend.mkdir('folder'),
        'ALREADY_EXISTS',
        'mkdir "box:folder": a folder already exists there',
        /^path\/conflict\/folder/,
      ],
    ];
    for (const [run, code, message, summary] of cases) {
      const error = await rejectsWith(run(), code);
      expect(error.message).toBe(`[ufs] [dropbox] ${message}`);
      expect(String(error.context.summary)).toMatch(summary);
    }
  });

  it('a bad token', async () => {
    await storage.addMount({ name: 'bad', protocol: 'dropbox', apiBaseUrl: fake.url, accessToken: 'wrong' });
    const error = await rejectsWith(storage.node('bad:a.txt').readText(), 'PERMISSION_DENIED');
    expect(error.message).toBe('[ufs] [dropbox] read "bad:a.txt": the access token is invalid or expired');
    expect(error.context.summary).toMatch(/^invalid_access_token/);
    expect(JSON.stringify(error.context)).not.toContain('wrong');
  });
});
