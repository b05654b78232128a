import { describe, expect, it } from '@jest/globals';
import { expectUfsError, get, put, type ContractContext } from '../context.js';

export function rangeCases(c: ContractContext): void {
  const caps = c.backend.capabilities;
  async function subject(): Promise<[string, Buffer]> {
    if (caps.write) {
      const key = `${c.folder()}/range.txt`;
      const content = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
      await put(c.backend, key, content);
      return [key, content];
    }
    const entry = Object.entries(c.fixtures ?? {}).find(([, v]) => v.length >= 16);
    if (!entry) throw new Error('contract setup must give a fixture of at least 16 bytes for range tests');
    return entry;
  }

  describe('byte ranges', () => {
    if (caps.range) {
      it('reads start..end inclusive, open-ended and single bytes', async () => {
        const [key, content] = await subject();
        expect(await get(c.backend, key, { start: 2, end: 5 })).toEqual(content.subarray(2, 6));
        expect(await get(c.backend, key, { start: 10 })).toEqual(content.subarray(10));
        expect(await get(c.backend, key, { start: 0, end: 0 })).toEqual(content.subarray(0, 1));
        const last = content.length - 1;
        expect(await get(c.backend, key, { start: last, end: last })).toEqual(content.subarray(last));
        expect(await get(c.backend, key, { end: 3 })).toEqual(content.subarray(0, 4));
      });

      it('clamps an end past the last byte', async () => {
        const [key, content] = await subject();
        expect(await get(c.backend, key, { start: 5, end: content.length + 100 })).toEqual(content.subarray(5));
      });
    } else {
      it('refuses range reads with UNSUPPORTED', async () => {
        const [key] = await subject();
        await expectUfsError(c.backend.read(key, { start: 1, end: 2 }), 'UNSUPPORTED');
      });
    }
  });
}
