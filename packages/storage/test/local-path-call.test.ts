import { access, chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
const gone = (path: string) =>
  access(path).then(
    () => false,
    () => true,
  );

beforeEach(async () => {
  dir = await tempDir();
  storage = new StorageManager();
  await storage.configure([
    { name: 'disk', protocol: 'local', root: dir.path },
    { name: 'mem', protocol: 'memory' },
    { name: 'ro', protocol: 'memory', permissions: 'readonly' },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

describe('localPath()', () => {
  it('on a local mount is the file itself', async () => {
    await storage.node('disk:a/b.txt').writeText('real file');
    const handle = await storage.node('disk:a/b.txt').localPath();
    expect(handle.temporary).toBe(false);
    expect(handle.path).toBe(join(dir.path, 'a/b.txt'));
    expect(await readFile(handle.path, 'utf8')).toBe('real file');
    await handle.close();
    expect(await readFile(join(dir.path, 'a/b.txt'), 'utf8')).toBe('real file');
  });

  it('in write mode on a local mount is written back when the handle is disposed (parents created)', async () => {
    const handle = await storage.node('disk:new/dir/out.txt').localPath({ mode: 'write' });
    await writeFile(handle.path, 'written directly');
    await handle[Symbol.asyncDispose]();
    expect(await storage.node('disk:new/dir/out.txt').readText()).toBe('written directly');
  });

  it('in write mode on a local mount works on a copy beside the file: close() puts it in place, discard() drops it', async () => {
    const file = storage.node('disk:reports/report.csv');
    await file.writeText('ORIGINAL\n');
    const real = join(dir.path, 'reports/report.csv');
    await chmod(real, 0o640);
    const handle = await file.localPath({ mode: 'write' });
    expect(handle.temporary).toBe(true);
    expect(handle.path).not.toBe(real);
    expect(handle.path.endsWith('/report.csv')).toBe(true);
    expect(await readFile(handle.path, 'utf8')).toBe('ORIGINAL\n');
    await writeFile(handle.path, 'half');
    expect(await readFile(real, 'utf8')).toBe('ORIGINAL\n');
    // The copy is in the file's own folder (one filesystem: the rename is atomic), and listings leave it out.
    expect((await stat(handle.path)).dev).toBe((await stat(real)).dev);
    expect((await file.parent.children()).map((c) => c.basename)).toEqual(['report.csv']);
    await handle.discard();
    expect(await readFile(real, 'utf8')).toBe('ORIGINAL\n');
    expect(await readdir(join(dir.path, 'reports'))).toEqual(['report.csv']);

    const kept = await file.localPath({ mode: 'write' });
    await writeFile(kept.path, 'NEW\n');
    await kept.close();
    expect(await file.readText()).toBe('NEW\n');
    expect((await stat(real)).mode & 0o777).toBe(0o640);
    expect(await readdir(join(dir.path, 'reports'))).toEqual(['report.csv']);

    const untouched = await storage.node('disk:reports/none.csv').localPath({ mode: 'write' });
    await untouched.close();
    expect(await storage.node('disk:reports/none.csv').exists()).toBe(false);
    expect(await readdir(join(dir.path, 'reports'))).toEqual(['report.csv']);
  });

  it('in read mode on a local mount is still the file itself (no copy)', async () => {
    await storage.node('disk:r.txt').writeText('zero copy');
    const handle = await storage.node('disk:r.txt').localPath({ mode: 'read' });
    expect(handle.path).toBe(join(dir.path, 'r.txt'));
    expect(handle.temporary).toBe(false);
    await handle.discard();
    expect(await storage.node('disk:r.txt').readText()).toBe('zero copy');
  });

  it('elsewhere is a temporary copy, removed on close', async () => {
    await storage.node('mem:doc.txt').writeText('in memory');
    const handle = await storage.node('mem:doc.txt').localPath();
    expect(handle.temporary).toBe(true);
    expect(handle.path.endsWith('doc.txt')).toBe(true);
    expect(await readFile(handle.path, 'utf8')).toBe('in memory');
    await writeFile(handle.path, 'changed in read mode');
    await handle.close();
    expect(await gone(handle.path)).toBe(true);
    expect(await storage.node('mem:doc.txt').readText()).toBe('in memory');
  });

  it('in write mode is written back on close, not on discard', async () => {
    await storage.node('mem:w.txt').writeText('before');
    const handle = await storage.node('mem:w.txt').localPath({ mode: 'write' });
    expect(await readFile(handle.path, 'utf8')).toBe('before');
    await writeFile(handle.path, 'after');
    await handle.close();
    await handle.close();
    expect(await storage.node('mem:w.txt').readText()).toBe('after');
    const discarded = await storage.node('mem:w.txt').localPath({ mode: 'write' });
    await writeFile(discarded.path, 'never');
    await discarded.discard();
    expect(await gone(discarded.path)).toBe(true);
    expect(await storage.node('mem:w.txt').readText()).toBe('after');
  });

  it('write mode on a missing file gives a path to create; read mode needs the file', async () => {
    await rejectsWith(storage.node('mem:nothing.txt').localPath(), 'NOT_FOUND');
    await rejectsWith(storage.node('disk:nothing.txt').localPath(), 'NOT_FOUND');
    const handle = await storage.node('mem:created.txt').localPath({ mode: 'write' });
    expect(await gone(handle.path)).toBe(true);
    await writeFile(handle.path, 'fresh');
    await handle.close();
    expect(await storage.node('mem:created.txt').readText()).toBe('fresh');
  });

  it('works with `await using`: the copy is gone when the block ends', async () => {
    await storage.node('mem:using.txt').writeText('scoped');
    let path = '';
    {
      await using handle = await storage.node('mem:using.txt').localPath();
      path = handle.path;
      expect(await readFile(path, 'utf8')).toBe('scoped');
    }
    expect(await gone(path)).toBe(true);
  });

  it('write mode needs write permission', async () => {
    const err = await rejectsWith(storage.node('ro:x.txt').localPath({ mode: 'write' }), 'PERMISSION_DENIED');
    expect(err.message).toContain('[memory] localPath "ro:x.txt"');
  });
});

describe('call()', () => {
  const node = process.execPath;
  const upper =
    'const fs = require("fs"); fs.writeFileSync(process.argv[2], fs.readFileSync(process.argv[1], "utf8").toUpperCase())';

  it('runs a program with nodes as local paths and writes outputs back', async () => {
    await storage.node('mem:in.txt').writeText('shout');
    const input = storage.node('mem:in.txt');
    const output = storage.node('disk:out/upper.txt');
    const result = await storage.call(node, ['-e', upper, input, { node: output, mode: 'write' }]);
    expect(result.stderr).toBe('');
    expect(await output.readText()).toBe('SHOUT');
    const memOut = storage.node('mem:upper.txt');
    await input.call(node, ['-e', upper, input, { node: memOut, mode: 'write' }]);
    expect(await memOut.readText()).toBe('SHOUT');
  });

  it('passes arguments without a shell', async () => {
    const script = 'process.stdout.write(JSON.stringify(process.argv.slice(1)))';
    const tricky = ['$(touch pwned)', '; rm -rf /', '`id`', '*', '"quoted"'];
    const { stdout } = await storage.call(node, ['-e', script, ...tricky], { cwd: dir.path });
    expect(JSON.parse(stdout)).toEqual(tricky);
    expect(await gone(join(dir.path, 'pwned'))).toBe(true);
  });

  it('with the node as default argument', async () => {
    await storage.node('mem:count.txt').writeText('12345');
    const { stdout } = await storage.node('mem:count.txt').call('wc', undefined);
    expect(stdout.trim()).toMatch(/^0\s+1\s+5\s/);
  });

  it('a failing program is UNEXPECTED with its stderr, and outputs are not written back', async () => {
    const output = storage.node('mem:never.txt');
    const err = await rejectsWith(
      storage.call(node, [
        '-e',
        'require("fs").writeFileSync(process.argv[1], "x"); console.error("bad input"); process.exit(3)',
        { node: output, mode: 'write' },
      ]),
      'UNEXPECTED',
    );
    expect(err.message).toBe(`[ufs] call "${node}": exited with code 3: bad input`);
    expect(await output.exists()).toBe(false);
  });

  it.each(['mem', 'disk'])('a failing program leaves an existing output on %s as it was', async (mount) => {
    const output = storage.node(`${mount}:report.csv`);
    await output.writeText('ORIGINAL\n');
    await rejectsWith(
      storage.call('/bin/sh', ['-c', 'echo half > "$1"; exit 1', 'sh', { node: output, mode: 'write' }]),
      'UNEXPECTED',
    );
    expect(await output.readText()).toBe('ORIGINAL\n');
    if (mount === 'disk') expect(await readdir(dir.path)).toEqual(['report.csv']);
    await storage.call('/bin/sh', ['-c', 'echo whole > "$1"', 'sh', { node: output, mode: 'write' }]);
    expect(await output.readText()).toBe('whole\n');
  });

  it('a program reading and writing the same local file reads the old content', async () => {
    const file = storage.node('disk:same.txt');
    await file.writeText('abc');
    await storage.call(node, ['-e', upper, file, { node: file, mode: 'write' }]);
    expect(await file.readText()).toBe('ABC');
  });

  it('an argument that is neither text nor a node is INVALID_INPUT naming it', async () => {
    const err = await rejectsWith(storage.call(node, ['-e', '1', 5 as never]), 'INVALID_INPUT');
    expect(err.message).toContain('argument 2');
    await rejectsWith(storage.call(node, [{ node: storage.node('mem:x'), mode: 'rw' } as never]), 'INVALID_INPUT');
  });

  it('a missing program is NOT_FOUND', async () => {
    await rejectsWith(storage.call('/no/such/program-ufs', []), 'NOT_FOUND');
  });
});
