import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager, type Permission } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir();
  storage = new StorageManager();
  const mounts = [];
  for (const protocol of ['local', 'memory'] as const) {
    for (const permissions of ['readonly', 'readwrite', 'delete'] as Permission[]) {
      const name = `${protocol}-${permissions}`;
      mounts.push({
        name: `${name}-full`,
        ...(protocol === 'local' ? { protocol, root: `${dir.path}/${name}` } : { protocol }),
      });
      mounts.push({ name, path: `${name}-full:`, permissions });
    }
  }
  await storage.configure(mounts);
  // Seed through the full mounts.
  for (const name of storage.mountNames().filter((n) => n.endsWith('-full'))) {
    await storage.node(name, 'seed.txt').writeText('seed');
    await storage.node(name, 'dir/inner.txt').writeText('inner');
  }
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

const cases = (['local', 'memory'] as const).flatMap((protocol) =>
  (['readonly', 'readwrite', 'delete'] as const).map((p) => [protocol, p] as const),
);

describe.each(cases)('%s mount with %s permission', (protocol, permission) => {
  const name = `${protocol}-${permission}`;
  const canWrite = permission !== 'readonly';
  const canDelete = permission === 'delete';

  it('always reads, stats and lists', async () => {
    expect(await storage.node(name, 'seed.txt').readText()).toBe('seed');
    expect((await storage.node(name, 'seed.txt').stat()).size).toBe(4);
    expect((await storage.node(`${name}:`).children()).map((n) => n.basename)).toEqual(['dir', 'seed.txt']);
  });

  it('reports capabilities that match the permission', () => {
    const caps = storage.capabilities(name);
    expect(caps.read).toBe(true);
    expect(caps.write).toBe(canWrite);
    expect(caps.append).toBe(canWrite);
    expect(caps.copy).toBe(canWrite);
    expect(caps.delete).toBe(canDelete);
    expect(caps.rename).toBe(canDelete);
    expect(storage.getMount(name).permissions).toBe(permission);
  });

  it('writes only when allowed, with PERMISSION_DENIED naming mount and operation', async () => {
    const node = storage.node(name, 'new.txt');
    if (canWrite) {
      await node.writeText('new');
      await node.append(Readable.from([Buffer.from('+')]));
      await storage.node(name, 'made').mkdir();
      expect(await node.readText()).toBe('new+');
    } else {
      const err = await rejectsWith(node.writeText('new'), 'PERMISSION_DENIED');
      expect(err.message).toBe(`[ufs] [${protocol}] write "${name}:new.txt": mount "${name}" is readonly`);
      await rejectsWith(node.append(Readable.from([Buffer.from('+')])), 'PERMISSION_DENIED');
      await rejectsWith(storage.node(name, 'made').mkdir(), 'PERMISSION_DENIED');
      await rejectsWith(node.localPath({ mode: 'write' }), 'PERMISSION_DENIED');
      const stream = node.createWriteStream();
      const failure = new Promise<Error>((resolve) => stream.on('error', resolve));
      stream.end('x');
      expect(((await failure) as { code?: string }).code).toBe('PERMISSION_DENIED');
      expect(await storage.node(`${name}-full`, 'new.txt').exists()).toBe(false);
    }
  });

  it('deletes only with the delete permission; overwrite is a write', async () => {
    const seed = storage.node(name, 'seed.txt');
    if (canDelete) {
      await seed.delete();
      expect(await seed.exists()).toBe(false);
      await storage.node(name, 'dir').delete({ recursive: true });
      expect(await storage.node(name, 'dir').exists()).toBe(false);
      return;
    }
    const err = await rejectsWith(seed.delete(), 'PERMISSION_DENIED');
    expect(err.message).toContain(`[${protocol}] delete "${name}:seed.txt"`);
    expect(err.message).toContain(`mount "${name}" is ${permission}`);
    await rejectsWith(storage.node(name, 'dir').delete({ recursive: true }), 'PERMISSION_DENIED');
    expect(await seed.exists()).toBe(true);
    if (canWrite) {
      await seed.writeText('overwritten');
      expect(await seed.readText()).toBe('overwritten');
    }
  });

  it('checks the permission of the mount the node belongs to, not of its backend', async () => {
    // The full mount over the same backend may still do everything.
    await storage.node(`${name}-full`, 'seed.txt').delete();
    expect(await storage.node(name, 'seed.txt').exists()).toBe(false);
  });
});

describe('readonly as a layer', () => {
  it('behaves like the readonly permission', async () => {
    await storage.configure([{ name: 'ro', protocol: 'memory', layers: [{ type: 'readonly' }] }]);
    expect(storage.capabilities('ro').write).toBe(false);
    const err = await rejectsWith(storage.node('ro:x').writeText('x'), 'PERMISSION_DENIED');
    expect(err.message).toContain('mount "ro"');
  });
});
