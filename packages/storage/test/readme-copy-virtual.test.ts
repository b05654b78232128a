import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import { copyNode, moveNode } from '../src/copy/index.js';
import { StorageManager, type StorageNode } from '../src/index.js';
import { serveNode } from '../src/serve/index.js';
import { concat, diff, zip } from '../src/virtual/index.js';
import { tempDir } from './helpers.js';

/**
 * The examples of the README section on copy/move, virtual nodes and serving, run. The first test checks that each
 * ```ts block of that section appears here word for word (import lines aside). The section is read from README.md
 * once it is there, else from its draft `readme-copy-virtual.md` beside this file.
 */
const HEADING = '## Copy, move, virtual nodes and serving';
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const DRAFT = fileURLToPath(new URL('./readme-copy-virtual.md', import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);

async function section(): Promise<string> {
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf(HEADING);
  if (start < 0) return readFile(DRAFT, 'utf8');
  const next = readme.indexOf('\n## ', start + HEADING.length);
  return readme.slice(start, next < 0 ? undefined : next);
}

function normalise(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('import '))
    .join('\n');
}

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
const progress: string[] = [];
const errors: UfsError[] = [];

beforeEach(async () => {
  dir = await tempDir('ufs-readme-copy-');
  storage = new StorageManager();
  await storage.configure([
    { name: 'data', protocol: 'local', root: `${dir.path}/data` },
    { name: 'cache', url: 'memory://' },
  ]);
  progress.length = 0;
  errors.length = 0;
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe('README: copy, move, virtual nodes, serving', () => {
  it('every code block of the section is in this file', async () => {
    const text = await section();
    expect(text.startsWith(HEADING)).toBe(true);
    const self = normalise(await readFile(THIS_FILE, 'utf8'));
    const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => normalise(m[1]!));
    expect(blocks.length).toBe(5);
    for (const block of blocks) expect({ missing: self.includes(block) ? '' : block }).toEqual({ missing: '' });
  });

  it('copy with globs, skip and callbacks', async () => {
    await storage.node('data:photos/2024/beach.jpg').writeText('beach');
    await storage.node('data:photos/icon.png').writeText('icon!');
    await storage.node('data:photos/drafts/x.jpg').writeText('draft');
    await storage.node('data:photos/notes.txt').writeText('notes');

    const photos = storage.node('data:photos');
    const seen: string[] = [];
    const summary = await copyNode(photos, storage.node('cache:backup/photos'), {
      include: ['**/*.jpg', '**/*.png'],
      exclude: 'drafts/**',
      skip: 'hash',
      onFile: ({ dest, method }) => seen.push(`${dest.path} (${method})`), // 'backup/photos/2024/beach.jpg (stream)'
    });
    // { files: 2, bytes: 10, skipped: 0, errors: [] }
    const again = await copyNode(photos, storage.node('cache:backup/photos'), { include: '2024/**', skip: 'hash' });
    // { files: 0, bytes: 0, skipped: 1, errors: [] }: the file's MD5 matches the one the cache stores

    expect(summary).toEqual({ files: 2, bytes: 10, skipped: 0, errors: [] });
    expect(seen.sort()).toEqual(['backup/photos/2024/beach.jpg (stream)', 'backup/photos/icon.png (stream)']);
    expect(again).toEqual({ files: 0, bytes: 0, skipped: 1, errors: [] });
  });

  it('progress, errors and abort', async () => {
    await storage.node('data:logs/a.log').writeText('first\n');
    await storage.node('data:logs/b.log').writeText('second\n');

    const controller = new AbortController(); // controller.abort() stops the copy: it rejects with ABORTED
    const result = await copyNode(storage.node('data:logs'), storage.node('cache:logs'), {
      concurrency: 8,
      signal: controller.signal,
      onProgress: ({ loaded, total }) => progress.push(`${loaded}/${total ?? '?'}`),
    });
    for (const { path, error } of result.errors) console.error(`${path}: ${error.code} ${error.message}`);

    expect(result).toMatchObject({ files: 2, bytes: 13, errors: [] });
    expect(progress[progress.length - 1]).toBe('13/13');
    controller.abort();
    const aborted = await copyNode(storage.node('data:logs'), storage.node('cache:logs2'), {
      signal: controller.signal,
    }).catch((err: UfsError) => err.code);
    expect(aborted).toBe('ABORTED');
  });

  it('move', async () => {
    await storage.node('data:inbox/new.csv').writeText('id\n1\n');
    await storage.node('data:inbox/sub/old.csv').writeText('id\n0\n');

    const moved = await moveNode(storage.node('data:inbox'), storage.node('data:archive/2024')); // native renames
    const left = await storage.node('data:inbox').exists(); // false: the emptied folder is gone

    expect(moved).toMatchObject({ files: 2, errors: [] });
    expect(left).toBe(false);
    expect(await storage.node('data:archive/2024/sub/old.csv').readText()).toBe('id\n0\n');
  });

  it('virtual nodes', async () => {
    await storage.node('data:logs/a.log').writeText('first\n');
    await storage.node('cache:logs/b.log').writeText('second\n');
    await storage.node('data:v1/app.conf').writeText('port=80\nhost=a\n');
    await storage.node('data:v2/app.conf').writeText('port=8080\nhost=a\n');
    await storage.node('data:photos/2024/beach.jpg').writeText('beach');

    const joined = concat(storage.node('data:logs/a.log'), storage.node('cache:logs/b.log'));
    const all = await joined.readText(); // 'first\nsecond\n'
    const size = await joined.size(); // 13
    const middle = await joined.readBytes().then((b) => b.subarray(3, 9).toString()); // 'st\nsec'
    const ranged = joined.createReadStream({ start: 3, end: 8 }); // the same 6 bytes, opening only what it overlaps

    const changes = diff(storage.node('data:v1/app.conf'), storage.node('data:v2/app.conf'), { context: 1 });
    const patch = await changes.readText(); // '--- data:v1/app.conf\n+++ data:v2/app.conf\n@@ -1,2 +1,2 @@\n…'

    const archive = zip([storage.node('data:photos'), storage.node('data:logs/a.log')]);
    await copyNode(archive, storage.node('cache:exports/photos.zip')); // streamed into place
    const name = archive.basename; // 'photos.zip': entries 'photos/2024/beach.jpg', …, 'a.log'

    expect([all, size, middle]).toEqual(['first\nsecond\n', 13, 'st\nsec']);
    const chunks: Buffer[] = [];
    for await (const chunk of ranged) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('st\nsec');
    expect(patch).toBe('--- data:v1/app.conf\n+++ data:v2/app.conf\n@@ -1,2 +1,2 @@\n-port=80\n+port=8080\n host=a\n');
    expect(name).toBe('photos.zip');
    const stored = await storage.node('cache:exports/photos.zip').readBytes();
    expect(stored.subarray(0, 2).toString()).toBe('PK');
    expect(stored.includes(Buffer.from('photos/2024/beach.jpg'))).toBe(true);
    expect(stored.includes(Buffer.from('a.log'))).toBe(true);
  });

  it('serving over HTTP', async () => {
    await storage.node('data:site/index.html').writeText('<h1>hi</h1>');

    const server = createServer((req, res) => {
      let node: StorageNode;
      try {
        node = storage.node('data', decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname));
      } catch {
        res.writeHead(400).end(); // `..` and other escapes are INVALID_INPUT
        return;
      }
      void serveNode(node, req, res, { cacheControl: 'public, max-age=300', onError: (err) => errors.push(err) });
    });

    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${base}/site/index.html`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html');
      expect(page.headers.get('cache-control')).toBe('public, max-age=300');
      expect(await page.text()).toBe('<h1>hi</h1>');
      const part = await fetch(`${base}/site/index.html`, { headers: { Range: 'bytes=4-5' } });
      expect([part.status, await part.text()]).toEqual([206, 'hi']);
      const cached = await fetch(`${base}/site/index.html`, {
        headers: { 'If-None-Match': page.headers.get('etag')! },
      });
      expect(cached.status).toBe(304);
      expect((await fetch(`${base}/site/nope.html`)).status).toBe(404);
      expect((await fetch(`${base}/site/%2e%2e%2f%2e%2e%2fetc%2fpasswd`)).status).toBe(400);
      expect(errors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
