import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryBackend, StorageManager, interceptBackend, knownProtocols, type StorageBackend } from '../src/index.js';
import { rejectsWith, tempDir, throwsWith } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;

beforeEach(async () => {
  dir = await tempDir();
  storage = new StorageManager({ env: { DATA_ROOT: '', HOME_DIR: '/nowhere', TOKEN: 's3cr3t' } });
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe('configure()', () => {
  it('takes an array of plain objects', async () => {
    await storage.configure([
      { name: 'disk', protocol: 'local', root: dir.path },
      { name: 'scratch', protocol: 'memory' },
    ]);
    expect(storage.mountNames()).toEqual(['disk', 'scratch']);
    expect(storage.hasMount('disk')).toBe(true);
    expect(storage.hasMount('nope')).toBe(false);
    expect(storage.getMount('disk')).toMatchObject({
      name: 'disk',
      kind: 'backend',
      protocol: 'local',
      permissions: 'delete',
    });
    await storage.node('disk:a.txt').writeText('on disk');
    expect(await storage.node('disk:a.txt').readText()).toBe('on disk');
  });

  it('reads a JSON file', async () => {
    const file = join(dir.path, 'mounts.json');
    await writeFile(file, JSON.stringify([{ name: 'j', protocol: 'local', root: join(dir.path, 'j') }]));
    await storage.configure(file);
    await storage.node('j:x.txt').writeText('json');
    expect(await storage.node('j:x.txt').readText()).toBe('json');
  });

  it('reads a YAML file, as a list or under `mounts`', async () => {
    const file = join(dir.path, 'mounts.yaml');
    await writeFile(
      file,
      `mounts:\n  - name: y\n    protocol: memory\n  - name: z\n    url: "file://${dir.path}/z"\n    permissions: readonly\n`,
    );
    await storage.configure(file);
    expect(storage.mountNames()).toEqual(['y', 'z']);
    expect(storage.getMount('z')).toMatchObject({ protocol: 'local', permissions: 'readonly' });
    const list = join(dir.path, 'list.yml');
    await writeFile(list, '- name: w\n  protocol: memory\n');
    await storage.configure(list);
    expect(storage.mountNames()).toEqual(['w', 'y', 'z']);
  });

  it('reports unreadable or malformed files as CONFIG_INVALID', async () => {
    await rejectsWith(storage.configure(join(dir.path, 'missing.json')), 'CONFIG_INVALID');
    const bad = join(dir.path, 'bad.yaml');
    await writeFile(bad, 'mounts: [ {');
    const err = await rejectsWith(storage.configure(bad), 'CONFIG_INVALID');
    expect(err.message).toContain('bad.yaml');
    const txt = join(dir.path, 'mounts.txt');
    await writeFile(txt, '[]');
    await rejectsWith(storage.configure(txt), 'CONFIG_INVALID');
    const shape = join(dir.path, 'shape.json');
    await writeFile(shape, '{"nope": 1}');
    expect((await rejectsWith(storage.configure(shape), 'CONFIG_INVALID')).message).toContain('array of mounts');
  });

  it('refuses what is neither mounts nor a path as CONFIG_INVALID saying what it got, not a TypeError', async () => {
    const err = await rejectsWith(storage.configure(null as never), 'CONFIG_INVALID');
    expect(err.message).toBe(
      '[ufs] configure() takes an array of mounts, { mounts: [...] } or a config file path, not null',
    );
    await rejectsWith(storage.configure(undefined as never), 'CONFIG_INVALID');
    expect((await rejectsWith(storage.configure(42 as never), 'CONFIG_INVALID')).message).toContain('not number 42');
    await rejectsWith(storage.configure({ mounts: null } as never), 'CONFIG_INVALID');
    await rejectsWith(storage.configure([null] as never), 'CONFIG_INVALID');
  });

  it('replaces mounts of the same name and disposes the old backend', async () => {
    await storage.configure([{ name: 'm', protocol: 'memory' }]);
    const before = storage.node('m:f.txt');
    await before.writeText('old');
    await storage.configure([{ name: 'm', protocol: 'local', root: dir.path }]);
    expect(storage.getMount('m').protocol).toBe('local');
    // Existing nodes see the new mount: they resolve it by name at each call.
    expect(await before.exists()).toBe(false);
  });

  it('changes nothing when one mount of a batch is invalid', async () => {
    await storage.configure([{ name: 'keep', protocol: 'memory' }]);
    await rejectsWith(
      storage.configure([
        { name: 'ok', protocol: 'memory' },
        { name: 'bad', protocol: 'local' },
      ]),
      'CONFIG_INVALID',
    );
    expect(storage.mountNames()).toEqual(['keep']);
  });

  it('refuses the same name twice in one batch', async () => {
    const err = await rejectsWith(
      storage.configure([
        { name: 'a', protocol: 'memory' },
        { name: 'a', protocol: 'memory' },
      ]),
      'CONFIG_INVALID',
    );
    expect(err.message).toBe('[ufs] mount "a": the mount name appears twice in this configuration');
  });
});

describe('validation errors name the mount and the key', () => {
  it('a missing required key', async () => {
    const err = await rejectsWith(storage.configure([{ name: 'photos', protocol: 'local' }]), 'CONFIG_INVALID');
    expect(err.message).toBe('[ufs] mount "photos": "root" is required');
  });

  it('a wrong type and an unknown key', async () => {
    const err = await rejectsWith(
      storage.configure([{ name: 'photos', protocol: 'local', root: 42, colour: 'red' }]),
      'CONFIG_INVALID',
    );
    expect(err.message).toContain('[ufs] mount "photos":');
    expect(err.message).toContain('"root": must be a folder path or a function returning one');
    expect(err.message).toContain('unknown key "colour"');
  });

  it.each([
    ['s3', { bucket: 'photos', regoin: 'eu-west-1' }, 'regoin'],
    ['azure', { container: 'photos', connectionString: 'UseDevelopmentStorage=true', prefx: 'a' }, 'prefx'],
    ['gcs', { bucket: 'photos', projectID: 'p' }, 'projectID'],
    ['sftp', { host: '127.0.0.1', username: 'u', password: 'p', prot: 22 }, 'prot'],
    ['webdav', { url: 'webdav://127.0.0.1:1/dav', usename: 'u' }, 'usename'],
  ])(
    'a misspelled %s option is refused, not dropped (a default would silently take its place)',
    async (protocol, options, key) => {
      const err = await rejectsWith(storage.configure([{ name: 'm', protocol, ...options }]), 'CONFIG_INVALID');
      expect(err.message).toContain(`unknown key "${key}"`);
    },
  );

  it('bad layer settings, with the path of the key', async () => {
    const err = await rejectsWith(
      storage.configure([{ name: 'm', protocol: 'memory', layers: [{ type: 'timeout', ms: -1 }] }]),
      'CONFIG_INVALID',
    );
    expect(err.message).toMatch(/^\[ufs\] mount "m": "layers\[0\]\.ms": /);
    const unknown = await rejectsWith(
      storage.configure([{ name: 'm', protocol: 'memory', layers: [{ type: 'teleport' } as never] }]),
      'CONFIG_INVALID',
    );
    expect(unknown.message).toContain('"layers[0].type"');
  });

  it('a bad permissions value', async () => {
    const err = await rejectsWith(
      storage.configure([{ name: 'm', protocol: 'memory', permissions: 'all' as never }]),
      'CONFIG_INVALID',
    );
    expect(err.message).toContain('"permissions"');
  });

  it('a missing protocol', async () => {
    const err = await rejectsWith(storage.configure([{ name: 'm' }]), 'CONFIG_INVALID');
    expect(err.message).toContain('"protocol" is required');
  });

  it('an unknown protocol, listing the known ones', async () => {
    const err = await rejectsWith(storage.configure([{ name: 'x', protocol: 'ftp' }]), 'CONFIG_INVALID');
    expect(err.message).toContain('unknown protocol "ftp" for mount "x"');
    expect(err.message).toContain(`known protocols: ${knownProtocols().join(', ')}`);
    expect(err.message).toContain('local');
    expect(err.message).toContain('memory');
  });
});

describe('mount names', () => {
  it.each(['a:b', 'a/b', 'a b', '', 'ä', 'a.b', '..'])('refuses %j', async (name) => {
    await rejectsWith(storage.configure([{ name, protocol: 'memory' }]), 'CONFIG_INVALID');
  });

  it.each(['a', 'A-1', 'under_score', '42'])('accepts %j', async (name) => {
    await storage.configure([{ name, protocol: 'memory' }]);
    expect(storage.hasMount(name)).toBe(true);
  });
});

describe('environment interpolation', () => {
  it('replaces ${VAR} in any string value, with defaults and the $${ escape', async () => {
    const env = { ROOT: dir.path, BASE: 'https://cdn.example.com' };
    const s = new StorageManager({ env });
    await s.configure([
      { name: 'e', protocol: 'local', root: '${ROOT}/e', baseUrl: '${BASE}/$${literal}/${MISSING:-x}' },
    ]);
    await s.node('e:a.txt').writeText('interpolated');
    expect(await s.node('e:a.txt').readText()).toBe('interpolated');
    expect(await s.node('e:a.txt').url()).toBe('https://cdn.example.com/${literal}/x/a.txt');
    await s.dispose();
  });

  it('an unset variable is CONFIG_INVALID naming the mount, key and variable', async () => {
    const err = await rejectsWith(
      storage.configure([{ name: 'photos', protocol: 'local', root: '${PHOTO_ROOT}' }]),
      'CONFIG_INVALID',
    );
    expect(err.message).toBe(
      '[ufs] mount "photos": "root": environment variable "PHOTO_ROOT" is not set (give a default: ${PHOTO_ROOT:-…})',
    );
  });

  it('an empty variable is refused as unset is, and said to be empty; an unterminated reference is refused', async () => {
    const err = await rejectsWith(
      storage.configure([{ name: 'p', protocol: 'local', root: '${DATA_ROOT}' }]),
      'CONFIG_INVALID',
    );
    expect(err.message).toContain('"DATA_ROOT" is set but empty');
    await rejectsWith(storage.configure([{ name: 'p', protocol: 'local', root: '/x/${OOPS' }]), 'CONFIG_INVALID');
  });

  it('a default may hold references, looked up only when the default is used', async () => {
    const env = { A: join(dir.path, 'srv'), EMPTY: '', HOST: 'https://cdn.example.com' };
    const s = new StorageManager({ env });
    await s.configure([
      { name: 'n', protocol: 'local', root: '${NOPE:-${A}/nested}' },
      { name: 'chain', protocol: 'local', root: '${NOPE:-${EMPTY:-${A:-x}}}/chain', baseUrl: '${HOST:-${NOPE}}/c' },
      { name: 'lit', protocol: 'local', root: '${A}/lit', baseUrl: 'https://x/${NOPE:-$${A}}/{b}' },
    ]);
    await s.node('n:f.txt').writeText('nested');
    expect(await readFile(join(dir.path, 'srv/nested/f.txt'), 'utf8')).toBe('nested');
    await s.node('chain:g.txt').writeText('chained');
    expect(await readFile(join(dir.path, 'srv/chain/g.txt'), 'utf8')).toBe('chained');
    expect(await s.node('chain:g.txt').url()).toBe('https://cdn.example.com/c/g.txt');
    expect(await s.node('lit:a.txt').url()).toBe('https://x/${A}/{b}/a.txt');
    const err = await rejectsWith(
      s.configure([{ name: 'bad', protocol: 'local', root: '${NOPE:-${A/nested}' }]),
      'CONFIG_INVALID',
    );
    expect(err.message).toBe('[ufs] mount "bad": "root": unterminated "${" (write "$${" for a literal "${")');
    const unset = await rejectsWith(
      s.configure([{ name: 'u', protocol: 'local', root: '${NOPE:-${NADA}}' }]),
      'CONFIG_INVALID',
    );
    expect(unset.message).toContain('environment variable "NADA" is not set');
    await s.dispose();
  });

  it('reads process.env by default', async () => {
    process.env.UFS_TEST_ROOT_DIR = dir.path;
    const s = new StorageManager();
    await s.configure([{ name: 'p', protocol: 'local', root: '${UFS_TEST_ROOT_DIR}/p' }]);
    await s.node('p:f').writeText('x');
    expect(await s.node('p:f').readText()).toBe('x');
    delete process.env.UFS_TEST_ROOT_DIR;
    await s.dispose();
  });
});

describe('mounts given as URLs', () => {
  it('file:// and memory:// with addMount(name, url)', async () => {
    await storage.addMount('files', `file://${dir.path}/files`);
    await storage.addMount('mem', 'memory://');
    await storage.addMount('vmem', 'memory://?versioning=true');
    expect(storage.getMount('files').protocol).toBe('local');
    expect(storage.capabilities('mem').versioning).toBe(false);
    expect(storage.capabilities('vmem').versioning).toBe(true);
    await storage.node('files:x/y.txt').writeText('via url');
    expect(await storage.node('files:x/y.txt').readText()).toBe('via url');
  });

  it('a url key in a config object, with extra keys and query parameters', async () => {
    await storage.configure([
      { name: 'pub', url: `file://${dir.path}/pub?baseUrl=https://files.example.com/pub`, permissions: 'readonly' },
    ]);
    expect(await storage.node('pub:a b.txt').url()).toBe('https://files.example.com/pub/a%20b.txt');
    expect(storage.getMount('pub').permissions).toBe('readonly');
  });

  it('refuses bad URLs and URLs of unknown schemes', async () => {
    await rejectsWith(storage.addMount('x', 'nope://thing'), 'CONFIG_INVALID');
    await rejectsWith(storage.addMount({ name: 'x', url: 'not a url' }), 'CONFIG_INVALID');
    const err = await rejectsWith(storage.addMount('x', 'file://remote-host/etc'), 'CONFIG_INVALID');
    expect(err.message).toContain('[ufs] mount "x": "url"');
    await rejectsWith(storage.addMount({ name: 'x', url: 'memory://', protocol: 'local' }), 'CONFIG_INVALID');
  });
});

describe('a replaced or removed mount closes its backend once the work running on it ends', () => {
  /** A memory backend that counts its dispose calls. */
  function counted(): { backend: StorageBackend; disposed: () => number } {
    const inner = new MemoryBackend({ mountName: 'm' });
    let disposed = 0;
    const backend = interceptBackend(inner, (_call, next) => next());
    backend.dispose = async () => {
      disposed++;
      await inner.dispose?.();
    };
    return { backend, disposed: () => disposed };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('a read stream opened before the mount is replaced reads to its end; then the old backend closes', async () => {
    const s = new StorageManager();
    const old = counted();
    await s.mountBackend('m', old.backend);
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    await s.node('m:big.bin').writeBytes(bytes);
    const stream = await s.node('m:big.bin').openReadStream();
    await s.configure([{ name: 'm', protocol: 'memory' }]);
    await settle();
    expect(old.disposed()).toBe(0);
    let read = 0;
    for await (const chunk of stream) read += (chunk as Buffer).length;
    expect(read).toBe(bytes.length);
    await settle();
    expect(old.disposed()).toBe(1);
    expect(await s.node('m:big.bin').exists()).toBe(false); // the new mount
    await s.dispose();
    expect(old.disposed()).toBe(1);
  });

  it('removeMount lets a running write finish; dispose() closes what is still draining at once', async () => {
    const s = new StorageManager();
    const first = counted();
    await s.mountBackend('a', first.backend);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow() {
      yield Buffer.from('first half, ');
      await gate;
      yield Buffer.from('second half');
    }
    const writing = s.node('a:f.txt').write(slow());
    await settle();
    expect(await s.removeMount('a')).toBe(true);
    await settle();
    expect(first.disposed()).toBe(0);
    release();
    expect(await writing).toMatchObject({ written: true, size: 23 });
    await settle();
    expect(first.disposed()).toBe(1);

    const second = counted();
    await s.mountBackend('b', second.backend);
    await s.node('b:g.txt').writeText('g');
    const open = await s.node('b:g.txt').openReadStream(); // never read
    await s.removeMount('b');
    await settle();
    expect(second.disposed()).toBe(0);
    await s.dispose();
    expect(second.disposed()).toBe(1);
    open.destroy();
  });
});

describe('addMount / removeMount / dispose', () => {
  it('adds from an object or a name and config, removes and disposes', async () => {
    await storage.addMount({ name: 'a', protocol: 'memory' });
    await storage.addMount('b', { protocol: 'memory' });
    const node = storage.node('b:f.txt');
    await node.writeText('x');
    expect(await storage.removeMount('b')).toBe(true);
    expect(await storage.removeMount('b')).toBe(false);
    expect(storage.mountNames()).toEqual(['a']);
    await rejectsWith(node.readText(), 'NOT_FOUND');
    const err = throwsWith(() => storage.node('b:f.txt'), 'NOT_FOUND');
    expect(err.message).toBe('[ufs] no mount named "b"; mounts: a');
  });

  it('dispose() empties the manager', async () => {
    await storage.configure([
      { name: 'a', protocol: 'memory' },
      { name: 'b', protocol: 'memory' },
    ]);
    await storage.dispose();
    expect(storage.mountNames()).toEqual([]);
  });
});
