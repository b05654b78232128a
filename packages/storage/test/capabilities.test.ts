import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hashBytes, type BackendCapabilities } from '@org/core';
import { StorageManager, type StorageNode } from '../src/index.js';
import { readAll, rejectsWith, tempDir } from './helpers.js';

/**
 * Capabilities against behaviour, through the node API: for each mount every declared capability is exercised and
 * must work; every optional operation it does not declare must fail with UNSUPPORTED naming the mount.
 */
let dir: { path: string; cleanup: () => Promise<void> };
const storage = new StorageManager();

beforeAll(async () => {
  dir = await tempDir();
  await storage.configure([
    { name: 'local', protocol: 'local', root: `${dir.path}/plain` },
    { name: 'local-public', protocol: 'local', root: `${dir.path}/public`, baseUrl: 'https://cdn.example.com/x' },
    { name: 'memory', protocol: 'memory' },
    { name: 'memory-versions', protocol: 'memory', versioning: true },
  ]);
});
afterAll(async () => {
  await storage.dispose();
  await dir.cleanup();
});

type Probe = (node: StorageNode) => Promise<void>;
/** An operation that must be refused, or undefined when the refusal does not apply to this mount. */
type Refusal = (node: StorageNode) => Promise<unknown> | undefined;

/** How to show each optional capability works, and how a mount without it must refuse. */
const PROBES: Partial<Record<keyof BackendCapabilities, { works: Probe; refused?: Refusal }>> = {
  append: {
    works: async (n) => {
      await n.writeText('a');
      await n.append(Readable.from([Buffer.from('b')]));
      expect(await n.readText()).toBe('ab');
    },
    refused: (n) => n.append(Readable.from([Buffer.from('b')])),
  },
  copy: {
    works: async (n) => {
      await n.writeText('c');
      await n.backend.copy!(n.path, `${n.path}.copy`);
      expect(await n.parent.child(`${n.basename}.copy`).readText()).toBe('c');
    },
  },
  rename: {
    works: async (n) => {
      await n.writeText('r');
      await n.backend.rename!(n.path, `${n.path}.moved`);
      expect(await n.exists()).toBe(false);
      expect(await n.parent.child(`${n.basename}.moved`).readText()).toBe('r');
    },
  },
  // url() falls back to a public URL, so it must refuse only where there is neither.
  presignGet: {
    works: async (n) => void expect(await n.url()).toMatch(/^https?:/),
    refused: (n) => (n.capabilities.publicUrl ? undefined : n.url()),
  },
  presignPut: {
    works: async (n) => void expect(await n.uploadUrl()).toMatch(/^https?:/),
    refused: (n) => n.uploadUrl(),
  },
  publicUrl: {
    works: async (n) => void expect(await n.url({ public: true })).toMatch(/^https:\/\/cdn\.example\.com\/x\//),
    refused: (n) => n.url({ public: true }),
  },
  versioning: {
    works: async (n) => {
      await n.writeText('1');
      await n.writeText('2');
      expect((await n.versions()).length).toBe(2);
    },
    refused: (n) => n.versions(),
  },
  versionDelete: {
    works: async (n) => {
      await n.writeText('1');
      await n.writeText('2');
      const old = (await n.versions()).find((v) => !v.isLatest)!;
      await n.deleteVersion(old.versionId);
      expect((await n.versions()).map((v) => v.versionId)).not.toContain(old.versionId);
    },
    refused: (n) => n.deleteVersion('v1'),
  },
  metadata: {
    works: async (n) => {
      await n.writeText('m', { metadata: { k: 'v' } });
      expect(await n.getMetadata()).toEqual({ k: 'v' });
      await n.setMetadata({ k: 'w' });
      expect(await n.getMetadata()).toEqual({ k: 'w' });
    },
    refused: (n) => n.setMetadata({ k: 'v' }),
  },
  range: {
    works: async (n) => {
      await n.writeText('0123456789');
      expect((await readAll(await n.backend.read(n.path, { start: 3, end: 5 }))).toString()).toBe('345');
    },
  },
  recursiveList: {
    works: async (n) => {
      await n.child('x/y/z.txt').writeText('z');
      const page = await n.backend.list(n.path, { recursive: true });
      expect(page.entries.map((e) => e.key)).toContain(`${n.path}/x/y/z.txt`);
    },
  },
  directories: {
    works: async (n) => {
      await n.mkdir({ parents: true });
      expect(await n.isDir()).toBe(true);
      expect((await n.parent.children()).map((c) => c.path)).toContain(n.path);
    },
  },
  atomicWrite: {
    works: async (n) => {
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(1024, 1));
          this.destroy(new Error('source broke'));
        },
      });
      await rejectsWith(n.write(failing), 'UNEXPECTED');
      expect(await n.exists()).toBe(false);
    },
  },
  conditionalWrite: {
    works: async (n) => {
      await n.writeText('one', { ifNotExists: true });
      await rejectsWith(n.writeText('two', { ifNotExists: true }), 'ALREADY_EXISTS');
    },
  },
};

const OPTIONAL_METHODS: Partial<Record<keyof BackendCapabilities, string>> = {
  append: 'append',
  copy: 'copy',
  rename: 'rename',
  presignGet: 'presignGet',
  presignPut: 'presignPut',
  publicUrl: 'publicUrl',
  versioning: 'versions',
  metadata: 'setMetadata',
};

describe.each(['local', 'local-public', 'memory', 'memory-versions'])('mount %s', (mount) => {
  let counter = 0;
  const fresh = () => storage.node(mount, `cap-${++counter}`, 'file.txt');

  for (const [capability, probe] of Object.entries(PROBES) as [
    keyof BackendCapabilities,
    NonNullable<(typeof PROBES)[keyof BackendCapabilities]>,
  ][]) {
    it(`${capability}: declared means it works, undeclared means UNSUPPORTED`, async () => {
      const declared = storage.capabilities(mount)[capability] === true;
      if (declared) return probe.works(fresh());
      const refusal = probe.refused?.(fresh());
      if (!refusal) return;
      const err = await rejectsWith(refusal, 'UNSUPPORTED');
      expect(err.message).toContain(`[${storage.getMount(mount).protocol}] `);
      expect(err.message).toContain(` "${mount}:cap-`);
    });
  }

  it('has an optional method exactly when its capability is declared', () => {
    const backend = storage.node(`${mount}:`).backend;
    for (const [capability, method] of Object.entries(OPTIONAL_METHODS)) {
      const declared = storage.capabilities(mount)[capability as keyof BackendCapabilities] === true;
      expect([capability, typeof (backend as unknown as Record<string, unknown>)[method!]]).toEqual([
        capability,
        declared ? 'function' : 'undefined',
      ]);
    }
  });

  it('stat().hash is of the declared stored kind', async () => {
    const node = fresh();
    await node.writeText('hashed');
    const kind = storage.capabilities(mount).storedHash;
    const { hash } = await node.stat();
    if (kind === 'none') expect(hash).toBeUndefined();
    else expect(hash).toEqual({ algorithm: kind, value: hashBytes('hashed', kind) });
  });
});

it('declares what we expect of each backend', () => {
  expect(storage.capabilities('local')).toMatchObject({
    atomicWrite: true,
    conditionalWrite: true,
    directories: true,
    storedHash: 'none',
    metadata: false,
    versioning: false,
    publicUrl: false,
  });
  expect(storage.capabilities('local-public').publicUrl).toBe(true);
  expect(storage.capabilities('memory')).toMatchObject({
    metadata: true,
    storedHash: 'md5',
    versioning: false,
    presignGet: false,
  });
  expect(storage.capabilities('memory-versions')).toMatchObject({ versioning: true, versionDelete: true });
});
