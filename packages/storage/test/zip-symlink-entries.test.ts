// Symbolic link entries of a zip (Unix mode 0120777 in the external attributes, as `zip -y` or Python's zipfile
// write them) are never exposed as files holding the link's target, and never skipped in silence: listings report
// each as an unreadable entry saying why, and a tree copy counts each among its errors.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import yazl from 'yazl';
import { copyNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { ZipBackend } from '../src/backends/zip/index.js';
import { rejectsWith, tempDir } from './helpers.js';

const LINK = 0o120777;
const FILE = 0o100644;

/** An archive written by yazl, which stores the Unix mode given (and "made by: Unix") as Info-ZIP does. */
async function zipWithModes(entries: { name: string; data: string; mode?: number }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const { name, data, mode } of entries)
    zip.addBuffer(Buffer.from(data), name, { compress: false, mode, mtime: new Date('2024-05-06T07:08:10Z') });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const dir = await tempDir('ufs-zip-links-');
const storage = new StorageManager({ logger: { warn: () => undefined, info() {}, debug() {} } });

beforeAll(async () => {
  const archive = await zipWithModes([
    { name: 'link', data: '/etc/passwd', mode: LINK },
    { name: 'plain.txt', data: 'plain', mode: FILE },
    { name: 'sub/dirlink', data: '../../', mode: LINK },
    { name: 'sub/inner.txt', data: 'inner' },
    { name: 'only-links/up', data: '..', mode: LINK },
    { name: 'replaced.txt', data: 'first a file', mode: FILE },
    { name: 'replaced.txt', data: '/etc/shadow', mode: LINK },
  ]);
  await writeFile(join(dir.path, 'sym.zip'), archive);
  await storage.configure([
    { name: 'files', protocol: 'local', root: dir.path },
    { name: 'z', protocol: 'zip', archive: 'files:sym.zip' },
  ]);
});
afterAll(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe('symbolic link entries of a zip mount', () => {
  it('are not files: no stat, no read of the link target', async () => {
    for (const path of ['link', 'sub/dirlink', 'only-links/up', 'replaced.txt']) {
      expect(await storage.node(`z:${path}`).exists()).toBe(false);
      await rejectsWith(storage.node(`z:${path}`).readText(), 'NOT_FOUND');
    }
    expect(await storage.node('z:plain.txt').readText()).toBe('plain');
    expect(await storage.node('z:sub/inner.txt').readText()).toBe('inner');
    // The folder a link is in is there, as extracting the archive would make it.
    expect((await storage.node('z:only-links').stat()).isDir).toBe(true);
  });

  it('are reported by listings, with the reason, in the folder they would be in', async () => {
    const reported: UfsError[] = [];
    const listed: string[] = [];
    for await (const node of storage
      .node('z:')
      .list({ recursive: true, onUnreadable: (e) => reported.push(e), onInvalidName: (e) => reported.push(e) }))
      listed.push(node.path);
    expect(listed.sort()).toEqual(['only-links', 'plain.txt', 'sub', 'sub/inner.txt']);
    const messages = reported.map((e) => e.message);
    for (const name of ['link', 'sub/dirlink', 'only-links/up'])
      expect(messages).toContainEqual(
        expect.stringContaining(
          `archive entry "${name}" is not exposed: it is a symbolic link (zip mounts do not follow links)`,
        ),
      );
    // The earlier file of the same name is replaced by the link (what extracting leaves): both reported.
    expect(messages.filter((m) => m.includes('"replaced.txt"'))).toHaveLength(2);
    expect(messages).toContainEqual(expect.stringMatching(/"replaced\.txt".*a later entry of the same name/));
    expect(reported).toHaveLength(5);
    const zip = new ZipBackend({ source: storage.resolveMount('files').backend(), key: 'sym.zip' });
    try {
      expect((await zip.skippedEntries()).map((s) => s.name).sort()).toEqual(
        ['link', 'only-links/up', 'replaced.txt', 'replaced.txt', 'sub/dirlink'].sort(),
      );
    } finally {
      await zip.dispose();
    }
  });

  it('a tree copy writes no text file for them and counts each among its errors', async () => {
    const summary = await copyNode(storage.node('z:'), storage.node('files:out'));
    expect(summary.files).toBe(2);
    expect(summary.errors).toHaveLength(5);
    // (A folder holding nothing but links has nothing to copy.)
    expect((await readdir(join(dir.path, 'out'), { recursive: true })).sort()).toEqual([
      'plain.txt',
      'sub',
      'sub/inner.txt',
    ]);
    expect(await readFile(join(dir.path, 'out', 'plain.txt'), 'utf8')).toBe('plain');
  });
});
