import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { generated, get, put, type ContractContext } from '../context.js';

/** Whole seconds: every backend that keeps modification times keeps these exactly (SFTP v3 stores seconds). */
const PAST = new Date('2021-03-04T05:06:07.000Z');
const LATER = new Date('2022-11-12T13:14:15.000Z');

/** Milliseconds: a backend keeps them only as finely as its `modifiedPrecisionMs` says. */
const FINE = new Date('2023-07-08T09:10:11.789Z');

/**
 * `modifiedPrecisionMs` (absent: 1): a kept time is the one given to within the precision, and every time a backend
 * gives is a whole multiple of it. `modifiedRange`: a time outside is not set (never wrapped into the range).
 *
 * `setModified`: a write (and a server-side copy) given `mtime` keeps it, and `stat()` returns it; without the
 * capability the option is ignored and the write still works.
 */
export function modifiedCases(c: ContractContext): void {
  const caps = c.backend.capabilities;
  const b = c.backend;
  if (!caps.write) return;
  describe('modification times', () => {
    const precision = caps.modifiedPrecisionMs ?? 1;
    if (caps.setModified) {
      it(`keeps a given time to its declared precision (${precision} ms)`, async () => {
        const key = `${c.folder()}/fine.txt`;
        await b.write(key, Readable.from([Buffer.from('fine')]), { size: 4, mtime: FINE });
        const kept = (await b.stat(key))!.mtime!.getTime();
        expect(Math.abs(kept - FINE.getTime())).toBeLessThan(precision);
        expect(kept % precision).toBe(0);
      });

      const range = caps.modifiedRange;
      if (range)
        it('does not set a time outside its modifiedRange: the file keeps the time of its writing', async () => {
          for (const outside of [range.minMs - 1000, range.maxMs + 1000]) {
            const key = `${c.folder()}/outside.txt`;
            const started = Date.now();
            await b.write(key, Readable.from([Buffer.from('out')]), { size: 3, mtime: new Date(outside) });
            const kept = (await b.stat(key))!.mtime!.getTime();
            expect(kept).toBeGreaterThanOrEqual(Math.floor(started / precision) * precision - 60_000);
            expect(kept).toBeLessThanOrEqual(Date.now() + 60_000);
          }
        });

      it('keeps the modification time given to a write, and stat() returns it', async () => {
        const folder = c.folder();
        await b.write(`${folder}/small.txt`, Readable.from([Buffer.from('dated')]), { size: 5, mtime: PAST });
        expect((await b.stat(`${folder}/small.txt`))?.mtime?.toISOString()).toBe(PAST.toISOString());
        await b.write(`${folder}/streamed.bin`, generated(6 * 1024 * 1024), { mtime: LATER });
        expect((await b.stat(`${folder}/streamed.bin`))?.mtime?.toISOString()).toBe(LATER.toISOString());
        // (6 MiB: a multipart upload where parts are 5 MiB.) Replacing the file with a new time replaces the time.
        await b.write(`${folder}/small.txt`, Readable.from([Buffer.from('again')]), { size: 5, mtime: LATER });
        expect((await b.stat(`${folder}/small.txt`))?.mtime?.toISOString()).toBe(LATER.toISOString());
        expect((await get(b, `${folder}/small.txt`)).toString()).toBe('again');
      });

      if (caps.metadata)
        it('keeps the modification time out of the user metadata', async () => {
          const key = `${c.folder()}/with-metadata.txt`;
          await b.write(key, Readable.from([Buffer.from('m')]), { metadata: { owner: 'ann' }, mtime: PAST });
          const stat = await b.stat(key);
          expect(stat?.metadata).toEqual({ owner: 'ann' });
          expect(stat?.mtime?.toISOString()).toBe(PAST.toISOString());
        });

      if (caps.copy)
        it('gives a server-side copy the modification time it is given', async () => {
          const folder = c.folder();
          await put(b, `${folder}/src.txt`, 'copied');
          await b.copy!(`${folder}/src.txt`, `${folder}/dst.txt`, { mtime: PAST });
          expect((await b.stat(`${folder}/dst.txt`))?.mtime?.toISOString()).toBe(PAST.toISOString());
          expect((await get(b, `${folder}/dst.txt`)).toString()).toBe('copied');
        });
    } else {
      it('ignores a modification time it cannot keep (setModified false), and writes', async () => {
        const key = `${c.folder()}/undated.txt`;
        await b.write(key, Readable.from([Buffer.from('undated')]), { mtime: PAST });
        expect((await get(b, key)).toString()).toBe('undated');
        const mtime = (await b.stat(key))?.mtime;
        expect(mtime?.toISOString()).not.toBe(PAST.toISOString());
        // The time it gives is as fine as it declares (a whole multiple of its precision).
        if (mtime) expect(mtime.getTime() % precision).toBe(0);
      });
    }
  });
}
