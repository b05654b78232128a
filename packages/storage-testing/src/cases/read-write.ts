import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { hashBytes, hashStream, UfsError } from '@org/core';
import { expectUfsError, generated, generatedDigest, get, put, readAll, type ContractContext } from '../context.js';

const SPECIAL_KEYS = [
  'with space/file name.txt',
  'ünïcødé/文件 €.txt',
  'plus+equals=amp&.txt',
  'percent 100%.txt',
  "quote'and(paren).txt",
  'hash#question?.txt',
  'semi;colon,comma@at.txt',
];

function firstFixture(ctx: ContractContext, minSize = 0): [string, Buffer] {
  const entry = Object.entries(ctx.fixtures ?? {}).find(([, v]) => v.length >= minSize);
  if (!entry)
    throw new Error(`contract setup must give a fixture of at least ${minSize} bytes for a read-only backend`);
  return entry;
}

export function readWriteCases(c: ContractContext): void {
  const caps = c.backend.capabilities;
  const ctx = () => c;
  describe('read and write', () => {
    it('stat of a missing key is null and read of it is NOT_FOUND', async () => {
      const { backend } = ctx();
      const key = `${ctx().folder()}/missing.txt`;
      expect(await backend.stat(key)).toBeNull();
      await expectUfsError(backend.read(key), 'NOT_FOUND');
    });

    if (caps.directories && caps.write) {
      it('a read of a folder is INVALID_INPUT; a write over one is INVALID_INPUT and the folder keeps what it holds', async () => {
        const { backend } = ctx();
        const folder = `${ctx().folder()}/dir`;
        await put(backend, `${folder}/inside.txt`, 'in');
        await expectUfsError(backend.read(folder), 'INVALID_INPUT');
        // The same code on every backend: a folder is the wrong kind of target (ALREADY_EXISTS is for ifNotExists).
        await expectUfsError(put(backend, folder, 'over'), 'INVALID_INPUT');
        expect(await backend.stat(folder)).toMatchObject({ isDir: true });
        expect((await get(backend, `${folder}/inside.txt`)).toString()).toBe('in');
      });
    }

    if (caps.directories && caps.write) {
      it('a write or mkdir below a file is INVALID_INPUT naming the file, which keeps its bytes', async () => {
        const { backend } = ctx();
        const file = `${ctx().folder()}/plain`;
        await put(backend, file, 'plain');
        const below = await expectUfsError(put(backend, `${file}/deeper/below.txt`, 'x'), 'INVALID_INPUT');
        expect(below.message).toContain(`${file}" is a file, not a folder`);
        await expectUfsError(backend.mkdir(`${file}/sub`, { parents: true }), 'INVALID_INPUT');
        expect((await get(backend, file)).toString()).toBe('plain');
        expect(await backend.stat(`${file}/deeper/below.txt`)).toBeNull();
      });
    }

    it('round-trips bytes (or refuses writes when it cannot write)', async () => {
      const { backend } = ctx();
      if (!backend.capabilities.write) {
        await expectUfsError(put(backend, `${ctx().folder()}/x`, 'x'), 'UNSUPPORTED', 'PERMISSION_DENIED');
        const [key, content] = firstFixture(ctx());
        expect(await get(backend, key)).toEqual(content);
        const stat = await backend.stat(key);
        expect(stat).toMatchObject({ isFile: true, isDir: false, size: content.length });
        return;
      }
      const key = `${ctx().folder()}/hello.txt`;
      await put(backend, key, 'hello, world');
      expect((await get(backend, key)).toString()).toBe('hello, world');
      const stat = await backend.stat(key);
      expect(stat).toMatchObject({ isFile: true, isDir: false, size: 12 });
      if (stat?.mtime) expect(Math.abs(stat.mtime.getTime() - Date.now())).toBeLessThan(10 * 60_000);
    });

    if (caps.write)
      it('keeps every byte value, and empty files', async () => {
        const { backend } = ctx();
        const folder = ctx().folder();
        const all = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
        await put(backend, `${folder}/bytes.bin`, all);
        await put(backend, `${folder}/empty.bin`, Buffer.alloc(0));
        expect(await get(backend, `${folder}/bytes.bin`)).toEqual(all);
        expect(await get(backend, `${folder}/empty.bin`)).toEqual(Buffer.alloc(0));
        expect(await backend.stat(`${folder}/empty.bin`)).toMatchObject({ isFile: true, size: 0 });
      });

    if (caps.write)
      it('handles keys with spaces, Unicode and URL-special characters', async () => {
        const { backend } = ctx();
        const folder = ctx().folder();
        for (const name of SPECIAL_KEYS) {
          await put(backend, `${folder}/${name}`, name);
          expect((await get(backend, `${folder}/${name}`)).toString()).toBe(name);
          expect((await backend.stat(`${folder}/${name}`))?.size).toBe(Buffer.byteLength(name));
        }
      });

    if (caps.write)
      it('overwrites and accepts async iterables', async () => {
        const { backend } = ctx();
        const key = `${ctx().folder()}/over.txt`;
        await put(backend, key, 'first version, longer');
        async function* parts() {
          yield Buffer.from('sec');
          yield new TextEncoder().encode('ond');
        }
        const result = await backend.write(key, parts());
        expect(result.size).toBe(6);
        expect((await get(backend, key)).toString()).toBe('second');
        expect((await backend.stat(key))?.size).toBe(6);
      });

    if (caps.write)
      it('streams a large file both ways', async () => {
        const { backend, options } = ctx();
        const key = `${ctx().folder()}/large.bin`;
        const loaded: number[] = [];
        await backend.write(key, generated(options.largeBytes, 7), {
          size: options.largeBytes,
          onProgress: (n) => loaded.push(n),
        });
        expect((await backend.stat(key))?.size).toBe(options.largeBytes);
        const { digest, size } = await hashStream(await backend.read(key));
        expect(size).toBe(options.largeBytes);
        expect(digest).toBe(await generatedDigest(options.largeBytes, 7));
        if (loaded.length > 0) expect(Math.max(...loaded)).toBeLessThanOrEqual(options.largeBytes);
      });

    if (caps.write)
      it('creates parents for nested keys', async () => {
        const { backend } = ctx();
        const folder = ctx().folder();
        await put(backend, `${folder}/a/b/c/deep.txt`, 'deep');
        expect((await get(backend, `${folder}/a/b/c/deep.txt`)).toString()).toBe('deep');
        const dir = await backend.stat(`${folder}/a/b`);
        if (dir) expect(dir).toMatchObject({ isDir: true, isFile: false });
        else expect(backend.capabilities.directories).toBe(false);
      });

    if (caps.write)
      it('stores content type, and user metadata when it declares metadata', async () => {
        const { backend } = ctx();
        const key = `${ctx().folder()}/meta.json`;
        await backend.write(key, Readable.from([Buffer.from('{}')]), {
          contentType: 'application/json',
          metadata: { owner: 'ufs', 'x-note': 'hello' },
        });
        const stat = await backend.stat(key);
        if (stat?.contentType !== undefined) expect(stat.contentType).toMatch(/^application\/json/);
        if (backend.capabilities.metadata) expect(stat?.metadata).toMatchObject({ owner: 'ufs', 'x-note': 'hello' });
        else expect(stat?.metadata === undefined || Object.keys(stat.metadata).length === 0).toBe(true);
      });

    it('reports a stored hash of the declared kind', async () => {
      const { backend } = ctx();
      const kind = backend.capabilities.storedHash;
      let key: string;
      let content: Buffer;
      if (backend.capabilities.write) {
        key = `${ctx().folder()}/hashed.txt`;
        content = Buffer.from('content with a stored checksum');
        await put(backend, key, content);
      } else {
        [key, content] = firstFixture(ctx());
      }
      const stat = await backend.stat(key);
      if (kind === 'none') expect(stat?.hash).toBeUndefined();
      else expect(stat?.hash).toEqual({ algorithm: kind, value: hashBytes(content, kind) });
    });

    if (caps.conditionalWrite)
      it('enforces ifNotExists when it declares conditional writes', async () => {
        const { backend } = ctx();
        const key = `${ctx().folder()}/once.txt`;
        await backend.write(key, Readable.from([Buffer.from('original')]), { ifNotExists: true });
        await expectUfsError(
          backend.write(key, Readable.from([Buffer.from('intruder')]), { ifNotExists: true }),
          'ALREADY_EXISTS',
        );
        expect((await get(backend, key)).toString()).toBe('original');
      });

    if (caps.atomicWrite)
      it('leaves nothing half-written when the source fails (atomic writes)', async () => {
        const { backend } = ctx();
        const folder = ctx().folder();
        const failing = () =>
          new Readable({
            read() {
              this.push(Buffer.alloc(64 * 1024, 1));
              this.destroy(new Error('source broke'));
            },
          });
        const fresh = `${folder}/fresh.bin`;
        const thrown = await backend.write(fresh, failing()).catch((e: unknown) => e);
        expect(thrown).toBeInstanceOf(UfsError);
        expect(await backend.stat(fresh)).toBeNull();
        const existing = `${folder}/existing.txt`;
        await put(backend, existing, 'keep me');
        await backend.write(existing, failing()).catch(() => undefined);
        expect((await get(backend, existing)).toString()).toBe('keep me');
      });

    if (caps.write)
      it('stops an aborted write with ABORTED', async () => {
        const { backend } = ctx();
        const controller = new AbortController();
        controller.abort();
        const key = `${ctx().folder()}/aborted.bin`;
        await expectUfsError(backend.write(key, generated(1024 * 1024), { signal: controller.signal }), 'ABORTED');
        if (backend.capabilities.atomicWrite) expect(await backend.stat(key)).toBeNull();
      });

    it('reads whole streams without leaking (read twice, same bytes)', async () => {
      const { backend } = ctx();
      let key: string;
      if (backend.capabilities.write) {
        key = `${ctx().folder()}/twice.txt`;
        await put(backend, key, 'twice');
      } else {
        [key] = firstFixture(ctx());
      }
      const a = await readAll(await backend.read(key));
      const b = await readAll(await backend.read(key));
      expect(a).toEqual(b);
    });
  });
}
