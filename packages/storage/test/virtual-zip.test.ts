// zip(): a streamed archive of files and trees, read back with yauzl (names, contents, CRC), written to a mount.
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import yauzl from 'yauzl';
import { LocalBackend, StorageManager } from '../src/index.js';
import { concat, zip, ZipNode } from '../src/virtual/index.js';
import { counting } from './copy-helpers.js';
import { readAll, rejectsWith, tempDir, throwsWith } from './helpers.js';

interface Unzipped {
  data: Buffer;
  crc32: number;
  compressed: boolean;
  mtime: Date;
}

/** Every entry of an archive, through yauzl (which checks sizes and structure). */
function unzip(archive: Buffer): Promise<Map<string, Unzipped>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(archive, { lazyEntries: true }, (err, zipfile) => {
      if (err) return reject(err);
      const entries = new Map<string, Unzipped>();
      zipfile.on('error', reject);
      zipfile.on('end', () => resolve(entries));
      zipfile.on('entry', (entry: yauzl.Entry) => {
        zipfile.openReadStream(entry, (error, stream) => {
          if (error) return reject(error);
          readAll(stream).then((data) => {
            entries.set(entry.fileName, {
              data,
              crc32: entry.crc32,
              compressed: entry.compressionMethod === 8,
              mtime: entry.getLastModDate(),
            });
            zipfile.readEntry();
          }, reject);
        });
      });
      zipfile.readEntry();
    });
  });
}

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let localReads: () => number;

const TREE: Record<string, string> = {
  'docs/readme.md': '# docs\n',
  'docs/guide/intro.txt': 'intro '.repeat(1000),
  'docs/guide/ünïcode näme.txt': 'unicode',
  'docs/empty.txt': '',
};

beforeEach(async () => {
  dir = await tempDir('ufs-zip-');
  storage = new StorageManager();
  await storage.configure([{ name: 'memory', protocol: 'memory' }]);
  const local = counting(new LocalBackend({ root: join(dir.path, 'local'), mountName: 'local' }));
  await storage.mountBackend('local', local.backend);
  localReads = () => local.calls.read ?? 0;
  for (const [path, text] of Object.entries(TREE)) await storage.node('local', path).writeText(text);
  await storage.node('memory:notes/todo.txt').writeText('buy milk\n');
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe.each([true, false])('zip (compress: %p)', (compress) => {
  it('holds the tree under the folder’s name and the files by name; contents and CRC check out', async () => {
    const archive = zip([storage.node('local:docs'), storage.node('memory:notes/todo.txt')], { compress });
    expect(archive).toBeInstanceOf(ZipNode);
    expect(archive.basename).toBe('docs.zip');
    expect(archive.mimetype).toBe('application/zip');
    const bytes = await archive.readBytes();
    const entries = await unzip(bytes);
    expect([...entries.keys()].sort()).toEqual([
      'docs/empty.txt',
      'docs/guide/intro.txt',
      'docs/guide/ünïcode näme.txt',
      'docs/readme.md',
      'todo.txt',
    ]);
    for (const [path, text] of Object.entries(TREE)) {
      const entry = entries.get(path)!;
      expect(entry.data.toString()).toBe(text);
      expect(entry.crc32).toBe(crc32(Buffer.from(text)));
    }
    expect(entries.get('todo.txt')!.data.toString()).toBe('buy milk\n');
    expect(entries.get('docs/guide/intro.txt')!.compressed).toBe(compress);
    const mtime = (await storage.node('local:docs/readme.md').stat()).mtime!;
    expect(Math.abs(entries.get('docs/readme.md')!.mtime.getTime() - mtime.getTime())).toBeLessThanOrEqual(2000);
    if (compress) expect(bytes.length).toBeLessThan(6000 * 0.5);

    const stat = await archive.stat();
    expect(stat.contentType).toBe('application/zip');
    if (compress) expect(stat.size).toBeUndefined();
    else expect(stat.size).toBe(bytes.length); // computed before producing anything
  });

  it('is reproducible, so a byte range cut from it matches the whole', async () => {
    const archive = zip([storage.node('local:docs')], { compress });
    const whole = await archive.readBytes();
    expect((await archive.readBytes()).equals(whole)).toBe(true);
    const part = await readAll(await archive.openReadStream({ start: 100, end: 1099 }));
    expect(part.equals(whole.subarray(100, 1100))).toBe(true);
  });
});

describe('zip', () => {
  it('copies to a mount like a file, and the written archive opens', async () => {
    const archive = zip(storage.node('local:docs'));
    const summary = await archive.copyTo(storage.node('memory:exports/docs.zip'));
    expect(summary.files).toBe(1);
    const written = await storage.node('memory:exports/docs.zip').readBytes();
    expect(summary.bytes).toBe(written.length);
    expect((await unzip(written)).get('docs/readme.md')!.data.toString()).toBe('# docs\n');
  });

  it('a mount root adds its files with no prefix; virtual nodes are entries too', async () => {
    const joined = concat(storage.node('local:docs/readme.md'), storage.node('memory:notes/todo.txt')).named('all.txt');
    const entries = await unzip(await zip([storage.node('memory:'), joined]).readBytes());
    expect([...entries.keys()].sort()).toEqual(['all.txt', 'notes/todo.txt']);
    expect(entries.get('all.txt')!.data.toString()).toBe('# docs\nbuy milk\n');
    expect(zip([storage.node('memory:')]).basename).toBe('archive.zip');
  });

  it('files are opened one at a time, as the archive reaches them', async () => {
    const before = localReads();
    const stream = zip(storage.node('local:docs'), { compress: false }).createReadStream();
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    expect(localReads() - before).toBeLessThanOrEqual(1);
    stream.destroy();
  });

  it('clashing or missing names are refused', async () => {
    await storage.node('memory:docs/x.txt').writeText('x');
    throwsWith(() => zip([storage.node('local:docs'), storage.node('memory:docs')]), 'INVALID_INPUT');
    throwsWith(() => zip([]), 'INVALID_INPUT');
    await rejectsWith(zip([storage.node('local:nope')]).openReadStream(), 'NOT_FOUND');
    await rejectsWith(zip([storage.node('local:nope')]).stat(), 'NOT_FOUND');
    // A clash between a root's files and another entry shows up while producing.
    await storage.node('memory:todo.txt').writeText('t');
    const clash = zip([storage.node('memory:'), storage.node('memory:notes/todo.txt')]);
    const error = await rejectsWith(clash.readBytes(), 'INVALID_INPUT');
    expect(error.message).toContain('two entries are named "todo.txt"');
  });

  it('a file that changes size while archived fails with INTEGRITY', async () => {
    const node = storage.node('memory:grow.txt');
    await node.writeText('short');
    const archive = zip([node], { compress: false });
    const size = await archive.size(); // entries planned with the 5-byte size
    expect(size).toBeGreaterThan(5);
    const racing = zip([
      {
        fullpath: node.fullpath,
        basename: node.basename,
        mimetype: node.mimetype,
        stat: async () => ({ ...(await node.stat()), size: 5 }),
        openReadStream: (o) => node.openReadStream(o),
        createReadStream: (o) => node.createReadStream(o),
        hash: (k) => node.hash(k),
      },
    ]);
    await node.writeText('much longer now');
    await rejectsWith(racing.readBytes(), 'INTEGRITY');
  });
});
