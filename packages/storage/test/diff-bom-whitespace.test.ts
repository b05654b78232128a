// diff(): a byte order mark is a difference, and a diff with nothing but ignored whitespace is empty (no header).
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { diff } from '../src/virtual/index.js';
import { tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir('ufs-diff-bom-');
  storage = new StorageManager();
  await storage.configure([
    { name: 'm', protocol: 'memory' },
    { name: 'local', protocol: 'local', root: dir.path },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** What GNU `diff -u [-b]` prints for the same two texts (empty when it finds them the same). */
async function gnuDiff(before: string, after: string, flags: string[] = []): Promise<string> {
  await writeFile(join(dir.path, 'gnu-a'), before);
  await writeFile(join(dir.path, 'gnu-b'), after);
  return spawnSync('diff', ['-u', ...flags, 'gnu-a', 'gnu-b'], { cwd: dir.path, encoding: 'utf8' }).stdout;
}

describe('diff of texts that differ only by a byte order mark', () => {
  it('shows the BOM line as changed (the files are not the same)', async () => {
    const a = storage.node('local:bom.txt');
    const b = storage.node('local:plain.txt');
    await a.writeText('\ufeffx\ny\n');
    await b.writeText('x\ny\n');
    expect(await a.size()).toBe(7);
    expect(await b.size()).toBe(4);
    const patch = diff(a, b);
    expect(await patch.readText()).toBe('--- local:bom.txt\n+++ local:plain.txt\n@@ -1,2 +1,2 @@\n-\ufeffx\n+x\n y\n');
    expect(await patch.changed()).toBe(true);
    expect(await gnuDiff('\ufeffx\ny\n', 'x\ny\n')).not.toBe('');
    // ignoreWhitespace looks away from whitespace at line ends, the BOM (U+FEFF) included: no patch, no header.
    expect(await diff(a, b, { ignoreWhitespace: true }).readText()).toBe('');
    // The BOM is kept on both sides when both have it: still the same.
    await b.writeText('\ufeffx\ny\n');
    expect(await diff(a, b).readText()).toBe('');
  });
});

describe('diff with ignoreWhitespace and nothing but whitespace differences', () => {
  const cases: [string, string, string][] = [
    ['trailing spaces', 'x  \ny\n', 'x\ny\n'],
    ['CRLF against LF', 'x\r\ny\r\n', 'x\ny\n'],
    ['leading and trailing spaces and tabs', '\tx\n  y \n', 'x\ny\t\n'],
  ];
  it.each(cases)('%s: an empty patch (size 0, not changed), as `diff -u -b` prints nothing', async (_, one, two) => {
    const a = storage.node('m:a.txt');
    const b = storage.node('m:b.txt');
    await a.writeText(one);
    await b.writeText(two);
    const patch = diff(a, b, { ignoreWhitespace: true });
    expect(await patch.readText()).toBe('');
    expect(await patch.size()).toBe(0);
    expect(await patch.changed()).toBe(false);
    if (!one.includes('\t')) expect(await gnuDiff(one, two, ['-b', '--strip-trailing-cr'])).toBe('');
    // Without ignoreWhitespace they differ.
    expect(await diff(a, b).changed()).toBe(true);
  });

  it('still shows real changes (with the whitespace-only lines as context)', async () => {
    const a = storage.node('m:a.txt');
    const b = storage.node('m:b.txt');
    await a.writeText('x  \ny\n');
    await b.writeText('x\nz\n');
    expect(await diff(a, b, { ignoreWhitespace: true }).readText()).toBe(
      '--- m:a.txt\n+++ m:b.txt\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n',
    );
  });
});
