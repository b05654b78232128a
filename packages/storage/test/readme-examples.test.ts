import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { hashBytes } from '@org/core';
import {
  applyLayers,
  MemoryBackend,
  metricsLayer,
  retryLayer,
  StorageManager,
  type StorageLogger,
  type UfsError,
} from '../src/index.js';
import { tempDir } from './helpers.js';

/**
 * Every ```ts and ```yaml block of README.md, run. The first test checks that each README block appears here word
 * for word (import lines aside), so the documentation cannot drift from what is tested.
 */
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);
// The section on copy/move, virtual nodes and serving is run by readme-copy-virtual.test.ts.
const COPY_VIRTUAL_TEST = fileURLToPath(new URL('./readme-copy-virtual.test.ts', import.meta.url));

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let tmpDir: string;
let configFile: string;
let archiveDir: string;
let usersDir: string;
const lines: string[] = [];
const myLogger: StorageLogger = { debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m) };

beforeEach(async () => {
  dir = await tempDir('ufs-readme-');
  tmpDir = join(dir.path, 'tmp');
  archiveDir = join(dir.path, 'archive');
  usersDir = join(dir.path, 'users');
  configFile = join(dir.path, 'mounts.yaml');
  process.env.DATA_DIR = join(dir.path, 'data');
  process.env.PHOTOS_DIR = join(dir.path, 'photos');
  process.env.HOME_ROOT = join(dir.path, 'home');
  storage = new StorageManager();
  await storage.configure([
    { name: 'data', protocol: 'local', root: '${DATA_DIR:-./data}' },
    { name: 'cache', url: 'memory://' },
    { name: 'versioned', url: 'memory://?versioning=true' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
  delete process.env.DATA_DIR;
  delete process.env.PHOTOS_DIR;
  delete process.env.HOME_ROOT;
});

const YAML = `
mounts:
  - name: photos
    url: file://\${PHOTOS_DIR}?baseUrl=https://cdn.example.com/photos
    permissions: readwrite
  - name: scratch
    protocol: memory
    layers:
      - type: metrics
`;

function normalise(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('import '))
    .join('\n');
}

describe('README examples', () => {
  it('every code block of the README is in this file', async () => {
    const readme = await readFile(README, 'utf8');
    const self = normalise(
      [await readFile(THIS_FILE, 'utf8'), await readFile(COPY_VIRTUAL_TEST, 'utf8')]
        .join('\n')
        .replaceAll('\\${', '${'),
    );
    const blocks = [...readme.matchAll(/```(ts|yaml)\n([\s\S]*?)```/g)].map((m) => normalise(m[2]!));
    expect(blocks.length).toBeGreaterThanOrEqual(14);
    for (const block of blocks) expect({ missing: self.includes(block) ? '' : block }).toEqual({ missing: '' });
  });

  it('quick start', async () => {
    const storage = new StorageManager();
    await storage.configure([
      { name: 'data', protocol: 'local', root: '${DATA_DIR:-./data}' },
      { name: 'cache', url: 'memory://' },
    ]);

    const report = storage.node('data:reports/2024/q1.csv');
    await report.writeText('region,total\nnorth,42\n');
    const text = await report.readText(); // 'region,total\nnorth,42\n'
    const names = [report.basename, report.stem, report.ext, report.dirname]; // ['q1.csv', 'q1', 'csv', 'data:reports/2024']

    expect(text).toBe('region,total\nnorth,42\n');
    expect(names).toEqual(['q1.csv', 'q1', 'csv', 'data:reports/2024']);
    expect(await readFile(join(dir.path, 'data/reports/2024/q1.csv'), 'utf8')).toBe(text);
    await storage.dispose();
  });

  it('configuration from a YAML file', async () => {
    await writeFile(configFile, YAML);
    await storage.configure(configFile); // the path of the file above
    const info = storage.getMount('photos'); // { kind: 'backend', protocol: 'local', permissions: 'readwrite', capabilities: {...} }
    const url = await storage.node('photos:beach.jpg').url(); // 'https://cdn.example.com/photos/beach.jpg'

    expect(info).toMatchObject({ kind: 'backend', protocol: 'local', permissions: 'readwrite' });
    expect(url).toBe('https://cdn.example.com/photos/beach.jpg');
    expect(storage.metrics('scratch')).toMatchObject({ ops: 0 });
  });

  it('mounts as URLs', async () => {
    await storage.addMount('tmp', `file://${tmpDir}/ufs-example`);
    await storage.addMount('versioned', 'memory://?versioning=true');
    await storage.configure([{ name: 'bucket', url: 'memory://' }]);

    await storage.node('tmp:x.txt').writeText('x');
    expect(await readFile(join(tmpDir, 'ufs-example/x.txt'), 'utf8')).toBe('x');
    expect(storage.capabilities('versioned').versioning).toBe(true);
    expect(storage.getMount('bucket').protocol).toBe('memory');
  });

  it('environment variables', async () => {
    const configured = new StorageManager({ env: { ARCHIVE_ROOT: archiveDir } });
    await configured.configure([
      {
        name: 'archive',
        protocol: 'local',
        root: '${ARCHIVE_ROOT}',
        baseUrl: '${ARCHIVE_URL:-https://files.example.com}/a',
      },
    ]);
    const archived = await configured.node('archive:2023/report.pdf').url(); // 'https://files.example.com/a/2023/report.pdf'

    expect(archived).toBe('https://files.example.com/a/2023/report.pdf');
    await configured.dispose();
  });

  it('relative mounts and permissions', async () => {
    await storage.configure([
      { name: 'home', protocol: 'local', root: '${HOME_ROOT}' },
      { name: 'shared', path: 'home:team/shared', permissions: 'readonly' },
      { name: 'inbox', path: 'home:team/inbox', permissions: 'readwrite' },
    ]);
    await storage.node('inbox:hello.txt').writeText('hi');
    const denied = await storage
      .node('shared:plan.md')
      .writeText('no')
      .then(
        () => 'written',
        (err: UfsError) => err.message,
      ); // '[ufs] [local] write "shared:plan.md": mount "shared" is readonly'
    const canWrite = storage.capabilities('shared').write; // false

    expect(denied).toBe('[ufs] [local] write "shared:plan.md": mount "shared" is readonly');
    expect(canWrite).toBe(false);
    expect(await readFile(join(dir.path, 'home/team/inbox/hello.txt'), 'utf8')).toBe('hi');
  });

  it('dynamic local roots', async () => {
    let currentUser = 'alice';
    await storage.configure([
      { name: 'me', protocol: 'local', root: () => `${usersDir}/${currentUser}` },
      { name: 'users', protocol: 'local', segmentRoot: (user: string) => `${usersDir}/${user}` },
    ]);
    await storage.node('me:notes.txt').writeText('alice notes');
    const viaSegment = await storage.node('users:alice/notes.txt').readText(); // 'alice notes'
    currentUser = 'bob';
    const bobHasNotes = await storage.node('me:notes.txt').exists(); // false

    expect(viaSegment).toBe('alice notes');
    expect(bobHasNotes).toBe(false);
  });

  it('layers in configuration', async () => {
    const logged = new StorageManager({ logger: myLogger });
    await logged.configure([
      {
        name: 'assets',
        protocol: 'memory',
        layers: [
          { type: 'retry', maxAttempts: 5, baseDelayMs: 100 },
          { type: 'timeout', ms: 10_000, operations: { write: 300_000 } },
          { type: 'concurrency', limit: 8 },
          { type: 'logging', level: 'debug' },
          { type: 'metrics' },
        ],
      },
    ]);
    await logged.node('assets:logo.svg').writeText('<svg/>');
    const counters = logged.metrics('assets'); // { ops: 1, errors: 0, bytesRead: 0, bytesWritten: 6, byOperation: {...} }

    expect(counters).toMatchObject({ ops: 1, errors: 0, bytesRead: 0, bytesWritten: 6 });
    expect(lines.some((l) => l.startsWith('[ufs] [assets] write "logo.svg" ok'))).toBe(true);
    await logged.dispose();
  });

  it('layers as functions', async () => {
    const metrics = metricsLayer();
    const backend = applyLayers(new MemoryBackend({ mountName: 'custom' }), [retryLayer({ maxAttempts: 3 }), metrics]);
    await storage.mountBackend('custom', backend, { permissions: 'readwrite' });
    await storage.node('custom:a.txt').writeText('abc');
    const written = metrics.snapshot().bytesWritten; // 3

    expect(written).toBe(3);
    expect(storage.capabilities('custom').delete).toBe(false);
  });

  it('names', () => {
    const photo = storage.node('data', 'albums', 'beach.tar.gz');
    const parts = [photo.fullpath, photo.stem, photo.suffix, photo.mimetype]; // ['data:albums/beach.tar.gz', 'beach.tar', '.gz', 'application/gzip']
    const sibling = photo.parent.child('sea.jpg').fullpath; // 'data:albums/sea.jpg'
    const top = photo.parent.parent.parent.fullpath; // 'data:' (never above the mount)

    expect(parts).toEqual(['data:albums/beach.tar.gz', 'beach.tar', '.gz', 'application/gzip']);
    expect(sibling).toBe('data:albums/sea.jpg');
    expect(top).toBe('data:');
  });

  it('metadata', async () => {
    const file = storage.node('cache:notes/todo.txt');
    await file.writeText('buy milk', { metadata: { owner: 'ann' } });
    const stat = await file.stat(); // { size: 8, isFile: true, isDir: false, contentType: 'text/plain', metadata: { owner: 'ann' }, ... }
    const md5 = await file.hash('md5'); // stored by the memory backend: no read
    const sha256 = await file.hash('sha256'); // computed while streaming
    await file.setMetadata({ owner: 'bob' });

    expect(stat).toMatchObject({
      size: 8,
      isFile: true,
      isDir: false,
      contentType: 'text/plain',
      metadata: { owner: 'ann' },
    });
    expect(md5).toBe(hashBytes('buy milk', 'md5'));
    expect(sha256).toBe(hashBytes('buy milk', 'sha256'));
    expect(await file.getMetadata()).toEqual({ owner: 'bob' });
  });

  it('reading', async () => {
    const log = storage.node('data:logs/app.log');
    await log.writeText('0123456789');
    const middle = await log.readBytes().then((b) => b.subarray(2, 5).toString()); // '234'
    const ranged: Buffer[] = [];
    for await (const chunk of log.createReadStream({ start: 2, end: 4 })) ranged.push(chunk);
    const stream = await log.openReadStream({ start: 7 }); // '789'

    expect(middle).toBe('234');
    expect(Buffer.concat(ranged).toString()).toBe('234');
    expect((await stream.toArray()).join('')).toBe('789');
  });

  it('writing', async () => {
    const target = storage.node('data:exports/2024/items.jsonl');
    const first = await target.write(Readable.from(['{"id":1}\n', '{"id":2}\n'])); // { written: true, size: 18 }
    const again = await target.writeText('{"id":1}\n{"id":2}\n', { skipIfUnchanged: true }); // { written: false, size: 18 }
    const refused = await target.writeText('x', { ifNotExists: true }).catch((err: UfsError) => err.code); // 'ALREADY_EXISTS'

    const out = storage.node('data:exports/big.csv').createWriteStream({ contentType: 'text/csv' });
    await pipeline(Readable.from(['a,b\n', '1,2\n']), out);
    const outcome = out.result; // { written: true, size: 8 }

    expect(first).toMatchObject({ written: true, size: 18 });
    expect(again).toEqual({ written: false, size: 18 });
    expect(refused).toBe('ALREADY_EXISTS');
    expect(outcome).toMatchObject({ written: true, size: 8 });
    expect(await storage.node('data:exports/big.csv').readText()).toBe('a,b\n1,2\n');
  });

  it('folders', async () => {
    const docs = storage.node('data:docs');
    await docs.child('a.md').writeText('# a');
    await docs.child('guide/b.md').writeText('# b');
    await docs.child('guide/c.txt').writeText('c');
    await docs.child('empty').mkdir({ parents: true, existOk: true });

    const kids = (await docs.children()).map((n) => n.basename); // ['a.md', 'empty', 'guide']
    const markdown: string[] = [];
    for await (const node of docs.list({ glob: '**/*.md' })) markdown.push(node.path); // 'docs/a.md', 'docs/guide/b.md'
    const page = await docs.listPage({ recursive: true, pageSize: 2 }); // { nodes: [2 nodes], cursor: '…' }
    const next = await docs.listPage({ recursive: true, pageSize: 2, cursor: page.cursor });
    const guide = docs.child('guide');
    const notEmpty = await guide.delete().catch((e: UfsError) => e.code); // 'INVALID_INPUT': not empty
    await guide.delete({ recursive: true });

    expect(kids).toEqual(['a.md', 'empty', 'guide']);
    expect(notEmpty).toBe('INVALID_INPUT');
    expect(markdown).toEqual(['docs/a.md', 'docs/guide/b.md']);
    expect(page.nodes).toHaveLength(2);
    expect(page.cursor).toBeDefined();
    expect(next.nodes.map((n) => n.path)).toEqual(['docs/guide', 'docs/guide/b.md']);
    expect((await docs.children()).map((n) => n.basename)).toEqual(['a.md', 'empty']);
  });

  it('versions', async () => {
    const doc = storage.node('versioned:contract.txt');
    const v1 = await doc.writeText('draft');
    await doc.writeText('final');
    const old = await doc.atVersion(v1.versionId!).readText(); // 'draft'
    const history = (await doc.versions()).length; // 2
    const removed = await doc.compactVersions({ keep: 1 }); // 1

    expect(old).toBe('draft');
    expect(history).toBe(2);
    expect(removed).toBe(1);
    expect(await doc.readText()).toBe('final');
  });

  it('local paths and programs', async () => {
    const source = storage.node('cache:in.txt');
    await source.writeText('shout');
    const handle = await source.localPath(); // a temporary copy: the memory backend has no files
    const onDisk = await readFile(handle.path, 'utf8'); // 'shout'
    await handle.close();

    const upper = storage.node('data:out/upper.txt');
    await storage.call(process.execPath, [
      '-e',
      'const fs = require("fs"); fs.writeFileSync(process.argv[2], fs.readFileSync(process.argv[1], "utf8").toUpperCase())',
      source,
      { node: upper, mode: 'write' },
    ]);
    const shouted = await upper.readText(); // 'SHOUT'

    expect(onDisk).toBe('shout');
    expect(handle.temporary).toBe(true);
    expect(shouted).toBe('SHOUT');
  });
});
