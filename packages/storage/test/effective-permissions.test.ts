// `getMount(name).permissions` is the permission in effect through the mount, not only the one it was configured
// with: a relative (child) mount cannot do more than its parents allow, and a readonly layer makes a mount readonly.
// Checked against what a write or delete through the mount really does, on a real local folder.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager, type Permission } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir();
  storage = new StorageManager();
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** What a write and a delete through the mount really do: the permission they amount to. */
async function actual(mount: string): Promise<Permission> {
  const written = await storage
    .node(`${mount}:probe.txt`)
    .writeText('x')
    .then(
      () => true,
      () => false,
    );
  if (!written) return 'readonly';
  const deleted = await storage
    .node(`${mount}:probe.txt`)
    .delete()
    .then(
      () => true,
      () => false,
    );
  return deleted ? 'delete' : 'readwrite';
}

describe('getMount(child).permissions', () => {
  it('is the parent’s when the parent is more restrictive (readonly parent, delete child)', async () => {
    await storage.configure([
      { name: 'disk', protocol: 'local', root: dir.path, permissions: 'readonly' },
      { name: 'child', path: 'disk:sub' },
    ]);
    expect(storage.getMount('child')).toMatchObject({ kind: 'relative', parent: 'disk', permissions: 'readonly' });
    expect(await actual('child')).toBe('readonly');
    const err = await rejectsWith(storage.node('child:x.txt').writeText('x'), 'PERMISSION_DENIED');
    expect(err.message).toContain('mount "disk" is readonly');
  });

  it('goes up the whole chain and takes the most restrictive (delete → readwrite → delete)', async () => {
    await storage.configure([
      { name: 'disk', protocol: 'local', root: dir.path },
      { name: 'mid', path: 'disk:team', permissions: 'readwrite' },
      { name: 'leaf', path: 'mid:inbox', permissions: 'delete' },
    ]);
    expect(storage.getMount('leaf').permissions).toBe('readwrite');
    expect(await actual('leaf')).toBe('readwrite');
    expect(storage.getMount('mid').permissions).toBe('readwrite');
    expect(storage.getMount('disk').permissions).toBe('delete');
    expect(await actual('disk')).toBe('delete');
  });

  it('is the child’s own when the child is the more restrictive', async () => {
    await storage.configure([
      { name: 'disk', protocol: 'local', root: dir.path, permissions: 'readwrite' },
      { name: 'child', path: 'disk:sub', permissions: 'readonly' },
    ]);
    expect(storage.getMount('child').permissions).toBe('readonly');
    expect(await actual('child')).toBe('readonly');
    expect(storage.getMount('disk').permissions).toBe('readwrite');
  });

  it('counts a readonly layer, on the parent or on the mount itself, as readonly', async () => {
    await storage.configure([
      { name: 'disk', protocol: 'local', root: dir.path, layers: [{ type: 'readonly' }] },
      { name: 'child', path: 'disk:sub' },
    ]);
    expect(storage.getMount('disk').permissions).toBe('readonly');
    expect(storage.getMount('child').permissions).toBe('readonly');
    expect(await actual('child')).toBe('readonly');
  });

  it('follows a replaced parent', async () => {
    await storage.configure([
      { name: 'disk', protocol: 'local', root: dir.path },
      { name: 'child', path: 'disk:sub' },
    ]);
    expect(storage.getMount('child').permissions).toBe('delete');
    await storage.configure([{ name: 'disk', protocol: 'local', root: dir.path, permissions: 'readwrite' }]);
    expect(storage.getMount('child').permissions).toBe('readwrite');
    expect(await actual('child')).toBe('readwrite');
  });
});
