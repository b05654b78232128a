import { describe, expect, it } from '@jest/globals';
import { baseName, normalizeKey } from '@org/core';
import { expectUfsError, get, listAll, put, type ContractContext } from '../context.js';

export function listCases(c: ContractContext): void {
  const caps = c.backend.capabilities;
  describe('listing', () => {
    if (!caps.list) {
      it('refuses listing with UNSUPPORTED', async () => {
        await expectUfsError(c.backend.list(''), 'UNSUPPORTED');
      });
      return;
    }

    if (!caps.write) {
      it('lists the fixtures', async () => {
        const keys = Object.keys(c.fixtures ?? {});
        const top = new Set(keys.map((k) => k.split('/')[0]!));
        const entries = await listAll(c.backend, '');
        expect(new Set(entries.map((e) => baseName(e.key)))).toEqual(top);
        if (caps.recursiveList) {
          const all = await listAll(c.backend, '', { recursive: true });
          expect(
            all
              .filter((e) => e.isFile)
              .map((e) => e.key)
              .sort(),
          ).toEqual([...keys].sort());
        }
      });
      const file = Object.keys(c.fixtures ?? {})[0];
      if (file && caps.directories) {
        it('refuses to list a file: INVALID_INPUT "is a file, not a folder"', async () => {
          const err = await expectUfsError(c.backend.list(file), 'INVALID_INPUT');
          expect(err.message).toMatch(/is a file, not a folder/);
        });
      }
      return;
    }

    it('lists one level: files and folders, with sizes', async () => {
      const folder = c.folder();
      await put(c.backend, `${folder}/one.txt`, '1');
      await put(c.backend, `${folder}/two.txt`, '22');
      await put(c.backend, `${folder}/sub/three.txt`, '333');
      await put(c.backend, `${folder}/sub/deeper/four.txt`, '4444');
      await put(c.backend, `${folder}-sibling/not-mine.txt`, 'x');
      const entries = await listAll(c.backend, folder);
      const byName = Object.fromEntries(entries.map((e) => [e.key, e]));
      expect(Object.keys(byName).sort()).toEqual([`${folder}/one.txt`, `${folder}/sub`, `${folder}/two.txt`]);
      expect(byName[`${folder}/one.txt`]).toMatchObject({ isFile: true, size: 1 });
      expect(byName[`${folder}/two.txt`]).toMatchObject({ isFile: true, size: 2 });
      expect(byName[`${folder}/sub`]).toMatchObject({ isDir: true, isFile: false });
    });

    if (caps.recursiveList) {
      it('lists recursively', async () => {
        const folder = c.folder();
        for (const k of ['a.txt', 'x/b.txt', 'x/y/c.txt', 'x/y/z/d.txt']) await put(c.backend, `${folder}/${k}`, k);
        const files = (await listAll(c.backend, folder, { recursive: true })).filter((e) => e.isFile);
        expect(files.map((e) => e.key).sort()).toEqual(
          ['a.txt', 'x/b.txt', 'x/y/c.txt', 'x/y/z/d.txt'].map((k) => `${folder}/${k}`),
        );
      });
    }

    it('paginates with cursors: every entry once', async () => {
      const folder = c.folder();
      const names = Array.from({ length: 23 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
      await Promise.all(names.map((n) => put(c.backend, `${folder}/${n}`, n)));
      const first = await c.backend.list(folder, { pageSize: 10 });
      expect(first.entries.length).toBeLessThanOrEqual(10);
      expect(first.cursor).toBeDefined();
      const entries = await listAll(c.backend, folder, { pageSize: 10 });
      expect(entries.map((e) => baseName(e.key)).sort()).toEqual(names);
    });

    if (caps.directories) {
      it('listing a file is INVALID_INPUT saying it is a file (plain and recursive)', async () => {
        const file = `${c.folder()}/plain.txt`;
        await put(c.backend, file, 'plain');
        const error = await expectUfsError(c.backend.list(file), 'INVALID_INPUT');
        expect(error.message).toContain('is a file, not a folder');
        if (caps.recursiveList) await expectUfsError(c.backend.list(file, { recursive: true }), 'INVALID_INPUT');
      });
    }

    it('keeps percent-escapes in names: a key such as "100%2Fdone.txt" is written, listed and read as it is', async () => {
      const folder = c.folder();
      const names = ['100%2Fdone.txt', '50%25 off%5Cx.txt', 'plain.txt'];
      for (const name of names) expect(normalizeKey(`${folder}/${name}`)).toBe(`${folder}/${name}`);
      for (const name of names) await put(c.backend, `${folder}/${name}`, name);
      const entries = await listAll(c.backend, folder);
      expect(entries.map((e) => baseName(e.key)).sort()).toEqual(names);
      for (const name of names) expect((await get(c.backend, `${folder}/${name}`)).toString()).toBe(name);
      // Never decoded on the way: no "100" folder, no "50% off" entry.
      expect(await c.backend.stat(`${folder}/100`)).toBeNull();
      expect(await c.backend.stat(`${folder}/50% off`)).toBeNull();
    });

    it('lists a missing folder as empty', async () => {
      const page = await c.backend.list(`${c.folder()}/nothing-here`);
      expect(page.entries).toEqual([]);
      expect(page.cursor).toBeUndefined();
    });
  });
}
