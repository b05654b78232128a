// A move that only changes the case of a name on one Dropbox mount (`Photos` → `photos`, `Report.PDF` → `report.pdf`)
// is one native rename (files/move_v2 takes a case-only rename: the entry keeps its id and shows the new case),
// nothing copied or deleted; a copy that way is still refused, as a copy onto itself. Against the local API fake.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode, moveNode } from '../../src/copy/index.js';
import { StorageManager } from '../../src/index.js';
import { startDropboxFake } from '@org/test-services';
import { rejectsWith } from '../helpers.js';

const fake = await startDropboxFake();
afterAll(() => fake.close());
fake.tokens.add('case-token');

let storage: StorageManager;
let root: string;

beforeEach(async () => {
  root = `Apps/c${randomBytes(3).toString('hex')}`;
  storage = new StorageManager();
  await storage.configure([
    { name: 'box', protocol: 'dropbox', apiBaseUrl: fake.url, accessToken: 'case-token', root },
  ]);
});
afterEach(() => storage.dispose());

/** The fake's own record of a path: its id and the case it shows. */
function entry(key: string): { id: string; path_display: string } {
  return fake.store.metadata(`/${root}/${key}`) as { id: string; path_display: string };
}

/** Every file and folder below the mount root, with the case Dropbox shows. */
async function tree(): Promise<string[]> {
  const found: string[] = [];
  for await (const node of storage.node('box:').list({ recursive: true })) found.push(node.path);
  return found.sort();
}

/** The calls made to the fake while `run` runs, listings and metadata left out. */
async function changesDuring(run: () => Promise<unknown>): Promise<string[]> {
  const before = fake.calls.length;
  await run();
  return fake.calls.slice(before).filter((route) => !/list_folder|get_metadata/.test(route));
}

describe('a case rename on one Dropbox mount', () => {
  it('renames a file with one move_v2: same id and content, the new case shown', async () => {
    await storage.node('box:Report.PDF').writeText('report');
    const id = entry('Report.PDF').id;
    let summary;
    const calls = await changesDuring(async () => {
      summary = await storage.node('box:Report.PDF').moveTo(storage.node('box:report.pdf'));
    });
    expect(summary).toMatchObject({ files: 1, bytes: 6, skipped: 0, errors: [] });
    expect(calls).toEqual(['files/move_v2']);
    expect(await tree()).toEqual(['report.pdf']);
    expect(entry('report.pdf')).toMatchObject({ id, path_display: `/${root}/report.pdf` });
    expect(await storage.node('box:report.pdf').readText()).toBe('report');
  });

  it('renames a file even with overwrite off or a skip strategy (its destination is itself)', async () => {
    await storage.node('box:Notes.txt').writeText('notes');
    const summary = await moveNode(storage.node('box:Notes.txt'), storage.node('box:NOTES.txt'), {
      overwrite: false,
      skip: 'exists',
    });
    expect(summary).toMatchObject({ files: 1, skipped: 0, errors: [] });
    expect(await tree()).toEqual(['NOTES.txt']);
  });

  it('renames a folder with its contents in one move_v2, ids kept, nothing deleted', async () => {
    const names = ['Photos/a.jpg', 'Photos/Trip/b.jpg', 'Photos/Trip/c.jpg'];
    for (const name of names) await storage.node(`box:${name}`).writeText(name);
    const ids = names.map((name) => entry(name).id);
    const folderId = entry('Photos').id;
    let summary;
    const calls = await changesDuring(async () => {
      summary = await moveNode(storage.node('box:Photos'), storage.node('box:photos'));
    });
    expect(summary).toMatchObject({ files: 3, skipped: 0, errors: [] });
    expect(calls).toEqual(['files/move_v2']);
    expect(await tree()).toEqual(['photos', 'photos/Trip', 'photos/Trip/b.jpg', 'photos/Trip/c.jpg', 'photos/a.jpg']);
    expect(entry('photos').id).toBe(folderId);
    expect(names.map((name) => entry(name.replace(/^Photos/, 'photos')).id)).toEqual(ids);
    for (const name of names)
      expect(await storage.node(`box:${name.replace(/^Photos/, 'photos')}`).readText()).toBe(name);
  });

  it('refuses a filtered case rename of a folder (the rename takes it whole), and changes nothing', async () => {
    await storage.node('box:Docs/a.txt').writeText('a');
    await storage.node('box:Docs/b.log').writeText('b');
    const error = await rejectsWith(
      moveNode(storage.node('box:Docs'), storage.node('box:docs'), { include: '*.txt' }),
      'INVALID_INPUT',
    );
    expect(error.message).toContain('include, exclude and filter cannot apply');
    expect(await tree()).toEqual(['Docs', 'Docs/a.txt', 'Docs/b.log']);
  });

  it('still refuses a copy onto itself in another case, for a file and a folder, and keeps both', async () => {
    await storage.node('box:Report.PDF').writeText('report');
    await storage.node('box:Photos/a.jpg').writeText('a');
    const file = await rejectsWith(
      copyNode(storage.node('box:Report.PDF'), storage.node('box:report.pdf')),
      'INVALID_INPUT',
    );
    expect(file.message).toContain('source and destination are the same file');
    const folder = await rejectsWith(copyNode(storage.node('box:Photos'), storage.node('box:photos')), 'INVALID_INPUT');
    expect(folder.message).toContain('the destination is inside the source folder');
    expect(await tree()).toEqual(['Photos', 'Photos/a.jpg', 'Report.PDF']);
    expect(await storage.node('box:Report.PDF').readText()).toBe('report');
  });
});
