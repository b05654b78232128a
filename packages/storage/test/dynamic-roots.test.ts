import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir, throwsWith } from './helpers.js';

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

describe('dynamic local roots', () => {
  it('a root function is called on every access', async () => {
    let user = 'alice';
    let calls = 0;
    await storage.configure([
      {
        name: 'home',
        protocol: 'local',
        root: () => {
          calls++;
          return join(dir.path, 'users', user);
        },
      },
    ]);
    const notes = storage.node('home:notes.txt');
    await notes.writeText('alice notes');
    user = 'bob';
    expect(await notes.exists()).toBe(false);
    await notes.writeText('bob notes');
    expect(await readFile(join(dir.path, 'users/alice/notes.txt'), 'utf8')).toBe('alice notes');
    expect(await readFile(join(dir.path, 'users/bob/notes.txt'), 'utf8')).toBe('bob notes');
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it('an async root function works too', async () => {
    await storage.configure([{ name: 'a', protocol: 'local', root: async () => join(dir.path, 'async') }]);
    await storage.node('a:x').writeText('x');
    expect(await readFile(join(dir.path, 'async/x'), 'utf8')).toBe('x');
  });

  it('segmentRoot maps the first path segment to its own folder', async () => {
    const seen: string[] = [];
    await storage.configure([
      {
        name: 'tenants',
        protocol: 'local',
        segmentRoot: (tenant: string) => {
          seen.push(tenant);
          return join(dir.path, 'tenant-data', tenant.toUpperCase());
        },
      },
    ]);
    await storage.node('tenants:acme/reports/q1.txt').writeText('acme q1');
    await storage.node('tenants:globex/q1.txt').writeText('globex q1');
    expect(await readFile(join(dir.path, 'tenant-data/ACME/reports/q1.txt'), 'utf8')).toBe('acme q1');
    expect(await readFile(join(dir.path, 'tenant-data/GLOBEX/q1.txt'), 'utf8')).toBe('globex q1');
    expect(seen).toContain('acme');
    expect((await storage.node('tenants:acme').children()).map((n) => n.fullpath)).toEqual(['tenants:acme/reports']);
    expect(await storage.node('tenants:').isDir()).toBe(true);
    await rejectsWith(storage.node('tenants:').children(), 'INVALID_INPUT');
    // A segment never climbs: ".." is refused before the function is called.
    throwsWith(() => storage.node('tenants:../x'), 'INVALID_INPUT');
  });

  it('a root function must return an absolute path', async () => {
    await storage.configure([{ name: 'rel', protocol: 'local', root: () => 'relative/path' }]);
    const err = await rejectsWith(storage.node('rel:x').writeText('x'), 'CONFIG_INVALID');
    expect(err.message).toContain('absolute path');
  });

  it('refuses root and segmentRoot together', async () => {
    await rejectsWith(
      storage.configure([{ name: 'both', protocol: 'local', root: dir.path, segmentRoot: () => dir.path }]),
      'CONFIG_INVALID',
    );
  });

  it('symlinks cannot escape a dynamic root either', async () => {
    const outside = join(dir.path, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'secret.txt'), 'secret');
    const root = join(dir.path, 'dyn');
    await mkdir(root, { recursive: true });
    await symlink(outside, join(root, 'escape'));
    await storage.configure([{ name: 'dyn', protocol: 'local', root: () => root }]);
    await rejectsWith(storage.node('dyn:escape/secret.txt').readText(), 'PERMISSION_DENIED');
  });
});
