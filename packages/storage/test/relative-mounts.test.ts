import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir, throwsWith } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir();
  storage = new StorageManager();
  await storage.configure([
    { name: 'disk', protocol: 'local', root: dir.path },
    { name: 'docs', path: 'disk:shared/docs' },
    { name: 'docs-ro', path: 'disk:shared/docs', permissions: 'readonly' },
    { name: 'drafts', path: 'docs:drafts' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe('relative mounts', () => {
  it('expose a folder of their parent mount', async () => {
    await storage.node('docs:report.txt').writeText('in docs');
    expect(await readFile(join(dir.path, 'shared/docs/report.txt'), 'utf8')).toBe('in docs');
    expect(await storage.node('disk:shared/docs/report.txt').readText()).toBe('in docs');
    expect(storage.getMount('docs')).toMatchObject({
      kind: 'relative',
      parent: 'disk',
      prefix: 'shared/docs',
      protocol: 'local',
    });
  });

  it('list with keys relative to themselves', async () => {
    await storage.node('disk:shared/docs/a/b.txt').writeText('b');
    await storage.node('disk:shared/other.txt').writeText('not mine');
    const paths = [];
    for await (const node of storage.node('docs:').list({ recursive: true })) paths.push(node.fullpath);
    expect(paths).toEqual(['docs:a', 'docs:a/b.txt']);
  });

  it('chain (a relative mount of a relative mount)', async () => {
    await storage.node('drafts:d.txt').writeText('draft');
    expect(await readFile(join(dir.path, 'shared/docs/drafts/d.txt'), 'utf8')).toBe('draft');
  });

  it('can never climb out: parent stops at their root and ".." is refused', async () => {
    const root = storage.node('docs:a/b');
    expect(root.parent.parent.fullpath).toBe('docs:');
    expect(root.parent.parent.parent.fullpath).toBe('docs:');
    throwsWith(() => storage.node('docs:../secret'), 'INVALID_INPUT');
    throwsWith(() => storage.node('docs:').child('..'), 'INVALID_INPUT');
    throwsWith(() => storage.node('docs', '..', 'x'), 'INVALID_INPUT');
  });

  it('carry their own permissions, on top of the parent', async () => {
    await storage.node('docs:f.txt').writeText('x');
    expect(await storage.node('docs-ro:f.txt').readText()).toBe('x');
    const err = await rejectsWith(storage.node('docs-ro:f.txt').writeText('y'), 'PERMISSION_DENIED');
    expect(err.message).toContain('mount "docs-ro" is readonly');
    expect(storage.capabilities('docs-ro').write).toBe(false);
  });

  it('inherit restrictions of a readonly parent', async () => {
    await storage.configure([
      { name: 'ro-parent', protocol: 'memory', permissions: 'readonly' },
      { name: 'child', path: 'ro-parent:sub', permissions: 'delete' },
    ]);
    expect(storage.capabilities('child').write).toBe(false);
    const err = await rejectsWith(storage.node('child:x').writeText('x'), 'PERMISSION_DENIED');
    expect(err.message).toContain('mount "ro-parent" is readonly');
  });

  it('follow a replaced parent', async () => {
    await storage.configure([{ name: 'disk', protocol: 'memory' }]);
    await storage.node('docs:m.txt').writeText('now in memory');
    expect(await storage.node('disk:shared/docs/m.txt').readText()).toBe('now in memory');
  });

  it('are validated: parent must exist, no cycles, no traversal, no backend keys', async () => {
    await rejectsWith(storage.configure([{ name: 'orphan', path: 'ghost:x' }]), 'CONFIG_INVALID');
    const cycle = await rejectsWith(
      storage.configure([
        { name: 'c1', path: 'c2:x' },
        { name: 'c2', path: 'c1:y' },
      ]),
      'CONFIG_INVALID',
    );
    expect(cycle.message).toContain('cycle');
    const climb = await rejectsWith(storage.configure([{ name: 'up', path: 'disk:../..' }]), 'CONFIG_INVALID');
    expect(climb.message).toContain('[ufs] mount "up": "path"');
    await rejectsWith(storage.configure([{ name: 'enc', path: 'disk:%2e%2e/x' }]), 'CONFIG_INVALID');
    await rejectsWith(storage.configure([{ name: 'nocolon', path: 'disk' }]), 'CONFIG_INVALID');
    await rejectsWith(storage.configure([{ name: 'extra', path: 'disk:x', root: '/' }]), 'CONFIG_INVALID');
  });

  it('keep their parent from being removed', async () => {
    const err = await rejectsWith(storage.removeMount('disk'), 'CONFIG_INVALID');
    expect(err.message).toContain('"docs"');
    await storage.removeMount('drafts');
    await storage.removeMount('docs-ro');
    await storage.removeMount('docs');
    expect(await storage.removeMount('disk')).toBe(true);
  });

  it('can be added with addMount(name, "parent:folder")', async () => {
    await storage.addMount('pics', 'disk:media/pics');
    await storage.node('pics:p.txt').writeText('p');
    expect(await storage.node('disk:media/pics/p.txt').readText()).toBe('p');
  });
});
