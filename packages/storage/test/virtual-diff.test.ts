// diff(): unified text diff of two nodes; binary input and oversized files are refused before any diffing.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LocalBackend, StorageManager } from '../src/index.js';
import { DEFAULT_DIFF_MAX_BYTES, diff, DiffNode, zip } from '../src/virtual/index.js';
import { counting } from './copy-helpers.js';
import { readAll, rejectsWith, tempDir, throwsWith } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let reads: () => number;

beforeEach(async () => {
  dir = await tempDir('ufs-diff-');
  storage = new StorageManager();
  await storage.configure([{ name: 'memory', protocol: 'memory' }]);
  const local = counting(new LocalBackend({ root: join(dir.path, 'local'), mountName: 'local' }));
  await storage.mountBackend('local', local.backend);
  reads = () => local.calls.read ?? 0;
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

const LINES = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
const BEFORE = LINES.join('\n') + '\n';
const AFTER =
  LINES.map((l) => (l === 'line 2' ? 'LINE 2' : l))
    .filter((l) => l !== 'line 18')
    .join('\n') + '\n';

/** Hunks of a unified diff (file-name lines dropped), with `,1` counts written out (GNU diff omits them). */
function hunks(patch: string): string {
  const body = patch.split('\n').slice(2).join('\n');
  return body.replace(
    /^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@/gm,
    (_, a, b, c, d) => `@@ -${a}${b ?? ',1'} +${c}${d ?? ',1'} @@`,
  );
}

/** GNU diff's hunks for the same texts. */
async function gnuDiff(before: string, after: string, context: number): Promise<string> {
  await writeFile(join(dir.path, 'before'), before);
  await writeFile(join(dir.path, 'after'), after);
  return hunks(spawnSync('diff', [`-U${context}`, 'before', 'after'], { cwd: dir.path, encoding: 'utf8' }).stdout);
}

describe('diff', () => {
  it('is the unified diff of two files across backends', async () => {
    const a = storage.node('memory:v1/config.txt');
    const b = storage.node('local:v2/config.txt');
    await a.writeText(BEFORE);
    await b.writeText(AFTER);
    const patch = diff(a, b);
    expect(patch).toBeInstanceOf(DiffNode);
    expect(patch.fullpath).toBe('diff(memory:v1/config.txt, local:v2/config.txt)');
    expect(patch.basename).toBe('config.txt.diff');
    const text = await patch.readText();
    expect(text.split('\n').slice(0, 2)).toEqual(['--- memory:v1/config.txt', '+++ local:v2/config.txt']);
    expect(hunks(text)).toBe(await gnuDiff(BEFORE, AFTER, 3));
    expect(text.match(/^@@/gm)).toHaveLength(2);
    expect(await patch.changed()).toBe(true);
    const stat = await patch.stat();
    expect(stat).toMatchObject({ isFile: true, size: Buffer.byteLength(await patch.patch()) });
    expect(stat.contentType).toBe('text/x-diff; charset=utf-8');
    expect((await readAll(await patch.openReadStream({ start: 0, end: 25 }))).toString()).toBe(
      '--- memory:v1/config.txt\n+',
    );
  });

  it('context sets the lines around each change', async () => {
    await storage.node('memory:a.txt').writeText(BEFORE);
    await storage.node('memory:b.txt').writeText(AFTER);
    for (const context of [0, 1, 7]) {
      const text = await diff(storage.node('memory:a.txt'), storage.node('memory:b.txt'), { context }).readText();
      expect(hunks(text)).toBe(await gnuDiff(BEFORE, AFTER, context));
    }
    const wide = await diff(storage.node('memory:a.txt'), storage.node('memory:b.txt'), { context: 20 }).readText();
    expect(wide.match(/^@@/gm)).toHaveLength(1);
  });

  it('identical texts give an empty patch', async () => {
    await storage.node('memory:a.txt').writeText(BEFORE);
    await storage.node('local:a.txt').writeText(BEFORE);
    const same = diff(storage.node('memory:a.txt'), storage.node('local:a.txt'));
    expect(await same.readText()).toBe('');
    expect(await same.changed()).toBe(false);
    expect(await same.size()).toBe(0);
  });

  it('binary input is INVALID_INPUT with a clear message (NUL byte, invalid UTF-8)', async () => {
    await storage.node('memory:text.txt').writeText('hello\n');
    await storage.node('memory:image.png').writeBytes(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x1a]));
    await storage.node('memory:latin1.txt').writeBytes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1
    const nul = await rejectsWith(
      diff(storage.node('memory:text.txt'), storage.node('memory:image.png')).readText(),
      'INVALID_INPUT',
    );
    expect(nul.message).toBe(
      '[ufs] [diff] diff "diff(memory:text.txt, memory:image.png)": "memory:image.png" looks binary (a NUL byte at offset 4); diff compares UTF-8 text files only',
    );
    const latin1 = await rejectsWith(
      diff(storage.node('memory:latin1.txt'), storage.node('memory:text.txt')).stat(),
      'INVALID_INPUT',
    );
    expect(latin1.message).toContain('"memory:latin1.txt" looks binary (bytes that are not valid UTF-8)');
  });

  it('a file above the cap is TOO_LARGE before it is read (default 10 MiB)', async () => {
    expect(DEFAULT_DIFF_MAX_BYTES).toBe(10 * 1024 * 1024);
    await storage.node('local:small.txt').writeText('small\n');
    await storage.node('local:huge.txt').writeBytes(Buffer.alloc(DEFAULT_DIFF_MAX_BYTES + 1, 0x61));
    const before = reads();
    const error = await rejectsWith(
      diff(storage.node('local:small.txt'), storage.node('local:huge.txt')).readText(),
      'TOO_LARGE',
    );
    expect(error.message).toContain(`"local:huge.txt" is ${DEFAULT_DIFF_MAX_BYTES + 1} bytes, above the diff limit`);
    expect(error.message).toContain('raise maxBytes');
    expect(reads() - before).toBeLessThanOrEqual(1); // the small side at most; never the huge one

    await rejectsWith(
      diff(storage.node('local:small.txt'), storage.node('local:small.txt'), { maxBytes: 3 }).readText(),
      'TOO_LARGE',
    );
  });

  it('a side of unknown size is capped while it is read', async () => {
    await storage.node('memory:a.txt').writeText('a\n'.repeat(100));
    await storage.node('memory:small.txt').writeText('a\n');
    const archive = zip([storage.node('memory:a.txt')]); // size unknown until produced
    const error = await rejectsWith(
      diff(storage.node('memory:small.txt'), archive, { maxBytes: 50 }).readText(),
      'TOO_LARGE',
    );
    expect(error.message).toContain('is more than 50 bytes');
  });

  it('a missing side is NOT_FOUND (and is retried on the next use); bad options are refused', async () => {
    const patch = diff(storage.node('memory:a.txt'), storage.node('memory:b.txt'));
    await rejectsWith(patch.readText(), 'NOT_FOUND');
    await storage.node('memory:a.txt').writeText('x\n');
    await storage.node('memory:b.txt').writeText('y\n');
    expect(await patch.readText()).toContain('-x\n+y\n');
    throwsWith(
      () => diff(storage.node('memory:a.txt'), storage.node('memory:b.txt'), { context: -1 }),
      'INVALID_INPUT',
    );
    throwsWith(
      () => diff(storage.node('memory:a.txt'), storage.node('memory:b.txt'), { maxBytes: 1.5 }),
      'INVALID_INPUT',
    );
  });

  it('a diff is a node: it copies to a mount', async () => {
    await storage.node('memory:a.txt').writeText('x\n');
    await storage.node('memory:b.txt').writeText('y\n');
    await diff(storage.node('memory:a.txt'), storage.node('memory:b.txt')).copyTo(
      storage.node('local:patches/ab.diff'),
    );
    expect(await storage.node('local:patches/ab.diff').readText()).toBe(
      '--- memory:a.txt\n+++ memory:b.txt\n@@ -1,1 +1,1 @@\n-x\n+y\n',
    );
  });
});
