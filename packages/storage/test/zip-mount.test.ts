import { afterEach, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
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

let storage: StorageManager;
afterEach(async () => {
  await storage?.dispose();
});

describe('zip mounts over another mount (archive: "mount:path")', () => {
  it('reads entries of an archive stored on another mount, configured in the same batch in any order', async () => {
    storage = new StorageManager();
    await storage.configure([{ name: 'files', protocol: 'memory' }]);
    await storage
      .node('files:releases/site.zip')
      .writeBytes(await zipOf({ 'index.html': '<h1>hi</h1>', 'css/a.css': 'a{}' }));
    await storage.configure([
      { name: 'site', protocol: 'zip', archive: 'files:releases/site.zip' },
      { name: 'other', protocol: 'memory' },
    ]);
    expect(await storage.node('site:index.html').readText()).toBe('<h1>hi</h1>');
    expect(await storage.node('site:css/a.css').readText()).toBe('a{}');
    const names: string[] = [];
    for await (const node of storage.node('site:').list({ recursive: true })) names.push(node.path);
    expect(names.sort()).toEqual(['css', 'css/a.css', 'index.html']);
  });

  it('accepts zip:// URLs', async () => {
    storage = new StorageManager();
    await storage.configure([{ name: 'files', protocol: 'memory' }]);
    await storage.node('files:a.zip').writeBytes(await zipOf({ 'x.txt': 'x' }));
    await storage.addMount('arch', 'zip://files/a.zip');
    expect(await storage.node('arch:x.txt').readText()).toBe('x');
  });

  it('names the missing source mount', async () => {
    storage = new StorageManager();
    const err = await storage
      .configure([{ name: 'site', protocol: 'zip', archive: 'nowhere:a.zip' }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UfsError);
    expect((err as UfsError).code).toBe('CONFIG_INVALID');
    expect((err as UfsError).message).toContain('mount "site"');
    expect((err as UfsError).message).toContain('"nowhere" is not configured');
  });

  it('fails clearly once the source mount is removed', async () => {
    storage = new StorageManager();
    await storage.configure([{ name: 'files', protocol: 'memory' }]);
    await storage.node('files:a.zip').writeBytes(await zipOf({ 'x.txt': 'x' }));
    await storage.configure([{ name: 'site', protocol: 'zip', archive: 'files:a.zip' }]);
    await storage.removeMount('files');
    const err = await storage
      .node('site:x.txt')
      .readText()
      .catch((e: unknown) => e);
    expect((err as UfsError).code).toBe('NOT_FOUND');
    expect((err as UfsError).message).toContain('no mount named "files"');
  });
});
