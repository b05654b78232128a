// A zip mount whose archive is on a relative mount configured in the same batch could never be opened: the relative
// mount looked its parent up among the mounts in place only, not those of the batch being installed ("mount "rel2":
// parent mount "l" of this relative mount is not configured"), in every order.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import yazl from 'yazl';
import { StorageManager } from '../src/index.js';

function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

let root: string;
let storage: StorageManager | undefined;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ufs-zip-rel-'));
  await writeFile(join(root, 'a.zip'), await zipOf({ 'hello.txt': 'hi', 'sub/b.txt': 'b' }));
});
afterEach(async () => {
  await storage?.dispose();
  storage = undefined;
  await rm(root, { recursive: true, force: true });
});

const L = () => ({ name: 'l', protocol: 'local', root });
const R = { name: 'rel2', path: 'l:' };
const Z = { name: 'zok', protocol: 'zip', archive: 'rel2:a.zip' };

describe('a zip mount whose archive is on a relative mount', () => {
  it.each([
    ['l, rel2, zok', () => [L(), R, Z]],
    ['zok, rel2, l', () => [Z, R, L()]],
    ['rel2, zok, l', () => [R, Z, L()]],
  ])('opens when configured in one batch (%s)', async (_order, mounts) => {
    storage = new StorageManager();
    await storage.configure(mounts());
    expect(await storage.node('zok:hello.txt').readText()).toBe('hi');
    const names: string[] = [];
    for await (const node of storage.node('zok:').list({ recursive: true })) names.push(node.path);
    expect(names.sort()).toEqual(['hello.txt', 'sub', 'sub/b.txt']);
    expect(await storage.node('rel2:a.zip').exists()).toBe(true);
  });

  it('opens through a relative mount of a relative mount under a sub-folder', async () => {
    await rm(join(root, 'a.zip'));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'x', 'y'), { recursive: true });
    await writeFile(join(root, 'x', 'y', 'a.zip'), await zipOf({ 'deep.txt': 'deep' }));
    storage = new StorageManager();
    await storage.configure([
      { name: 'z2', protocol: 'zip', archive: 'r2:a.zip' },
      { name: 'r2', path: 'r1:y' },
      { name: 'r1', path: 'l:x' },
      L(),
    ]);
    expect(await storage.node('z2:deep.txt').readText()).toBe('deep');
  });

  it('still refuses a relative mount whose parent is not configured, and installs nothing', async () => {
    storage = new StorageManager();
    const err = await storage.configure([R, Z]).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toContain('parent mount "l"');
    expect(storage.mountNames()).toEqual([]);
  });

  it('follows the parent once installed: a later batch replacing "l" is what rel2 and zok read', async () => {
    storage = new StorageManager();
    await storage.configure([L(), R, Z]);
    const other = await mkdtemp(join(tmpdir(), 'ufs-zip-rel2-'));
    try {
      await writeFile(join(other, 'a.zip'), await zipOf({ 'hello.txt': 'other' }));
      await storage.configure([{ name: 'l', protocol: 'local', root: other }]);
      expect(await storage.node('rel2:a.zip').exists()).toBe(true);
      await storage.configure([L(), R, Z]);
      expect(await storage.node('zok:hello.txt').readText()).toBe('hi');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
