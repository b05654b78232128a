import { describe, expect, it } from '@jest/globals';
import { expectUfsError, listAll, put, type ContractContext } from '../context.js';

export function deleteMkdirCases(c: ContractContext): void {
  const caps = c.backend.capabilities;
  describe('delete and mkdir', () => {
    if (caps.delete) {
      it('deletes a file; deleting a missing key is not an error', async () => {
        const key = `${c.folder()}/gone.txt`;
        await put(c.backend, key, 'bye');
        await c.backend.delete(key);
        expect(await c.backend.stat(key)).toBeNull();
        await expect(c.backend.delete(key)).resolves.toBeUndefined();
      });

      it('deletes a tree recursively, and nothing beside it', async () => {
        const folder = c.folder();
        for (const k of ['t/a.txt', 't/b/c.txt', 't/b/d/e.txt', 'keep.txt']) await put(c.backend, `${folder}/${k}`, k);
        await c.backend.delete(`${folder}/t`, { recursive: true });
        expect(await c.backend.stat(`${folder}/t/b/d/e.txt`)).toBeNull();
        expect(await c.backend.stat(`${folder}/t`)).toBeNull();
        expect(await c.backend.stat(`${folder}/keep.txt`)).not.toBeNull();
        if (caps.list) expect((await listAll(c.backend, folder)).map((e) => e.key)).toEqual([`${folder}/keep.txt`]);
      });
      if (caps.directories) {
        it('refuses to delete a folder that is not empty without recursive (INVALID_INPUT), deleting nothing', async () => {
          const folder = c.folder();
          await put(c.backend, `${folder}/full/a.txt`, 'a');
          await expectUfsError(c.backend.delete(`${folder}/full`), 'INVALID_INPUT');
          expect(await c.backend.stat(`${folder}/full/a.txt`)).not.toBeNull();
          await c.backend.delete(`${folder}/full/a.txt`);
          await c.backend.delete(`${folder}/full`);
          expect(await c.backend.stat(`${folder}/full`)).toBeNull();
        });
      }
    } else {
      it('refuses deletes', async () => {
        const key = Object.keys(c.fixtures ?? {})[0] ?? `${c.folder()}/x`;
        await expectUfsError(c.backend.delete(key), 'UNSUPPORTED', 'PERMISSION_DENIED');
      });
    }

    if (caps.directories && caps.write) {
      it('makes folders with parents, and knows when one exists', async () => {
        const folder = c.folder();
        await c.backend.mkdir(`${folder}/m/n/o`, { parents: true });
        expect(await c.backend.stat(`${folder}/m/n/o`)).toMatchObject({ isDir: true, isFile: false });
        await expect(c.backend.mkdir(`${folder}/m/n/o`, { parents: true, existOk: true })).resolves.toBeUndefined();
        await expectUfsError(c.backend.mkdir(`${folder}/m/n/o`, { existOk: false }), 'ALREADY_EXISTS');
        if (caps.list) {
          const entries = await listAll(c.backend, `${folder}/m/n`);
          expect(entries).toEqual([expect.objectContaining({ key: `${folder}/m/n/o`, isDir: true })]);
        }
      });
    } else if (caps.write) {
      it('accepts mkdir as a no-op on a flat namespace', async () => {
        await expect(
          c.backend.mkdir(`${c.folder()}/virtual`, { parents: true, existOk: true }),
        ).resolves.toBeUndefined();
      });
    }
  });
}
