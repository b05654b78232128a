import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { expectUfsError, get, put, readAll, type ContractContext } from '../context.js';

export function optionalCases(c: ContractContext): void {
  const caps = c.backend.capabilities;
  const b = c.backend;
  describe('optional operations', () => {
    if (caps.copy) {
      it('copies server-side', async () => {
        const folder = c.folder();
        await put(b, `${folder}/src.txt`, 'copy me');
        await b.copy!(`${folder}/src.txt`, `${folder}/dir/dst.txt`);
        expect((await get(b, `${folder}/dir/dst.txt`)).toString()).toBe('copy me');
        expect((await get(b, `${folder}/src.txt`)).toString()).toBe('copy me');
        await expectUfsError(b.copy!(`${folder}/absent.txt`, `${folder}/x.txt`), 'NOT_FOUND');
      });
    }

    if (caps.rename) {
      it('renames natively', async () => {
        const folder = c.folder();
        await put(b, `${folder}/old.txt`, 'moving');
        await b.rename!(`${folder}/old.txt`, `${folder}/new/place.txt`);
        expect(await b.stat(`${folder}/old.txt`)).toBeNull();
        expect((await get(b, `${folder}/new/place.txt`)).toString()).toBe('moving');
        await expectUfsError(b.rename!(`${folder}/absent.txt`, `${folder}/x.txt`), 'NOT_FOUND');
      });
    }

    if (caps.directories && (caps.copy || caps.rename)) {
      it('refuses to copy or rename a file onto a folder (INVALID_INPUT), the folder and the file intact', async () => {
        const folder = c.folder();
        await put(b, `${folder}/file.txt`, 'file');
        await put(b, `${folder}/dir/inside.txt`, 'in');
        const ops = [caps.copy && b.copy!.bind(b), caps.rename && b.rename!.bind(b)].filter((op) => !!op);
        for (const op of ops) {
          await expectUfsError(op(`${folder}/file.txt`, `${folder}/dir`), 'INVALID_INPUT');
          expect(await b.stat(`${folder}/dir`)).toMatchObject({ isDir: true });
          expect((await get(b, `${folder}/dir/inside.txt`)).toString()).toBe('in');
          expect((await get(b, `${folder}/file.txt`)).toString()).toBe('file');
        }
      });
    }

    if (caps.append) {
      it('appends', async () => {
        const key = `${c.folder()}/log.txt`;
        await put(b, key, 'one\n');
        await b.append!(key, Readable.from([Buffer.from('two\n')]));
        expect((await get(b, key)).toString()).toBe('one\ntwo\n');
      });
    }

    if (caps.presignGet) {
      it('presigns GET URLs that serve the bytes', async () => {
        const key = `${c.folder()}/signed file ü.txt`;
        await put(b, key, 'signed content');
        // A backend whose links have one lifetime (Dropbox: 4 hours) refuses any other: ask for that one.
        const url = await b.presignGet!(key, { expiresIn: caps.presignFixedSeconds ?? 300 });
        const response = await fetch(url);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('signed content');
        const tampered = new URL(url);
        const sigParam = [...tampered.searchParams.keys()].find((k) => /signature|sig$/i.test(k));
        if (sigParam) {
          const sig = tampered.searchParams.get(sigParam)!;
          tampered.searchParams.set(sigParam, (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
          expect((await fetch(tampered)).status).toBeGreaterThanOrEqual(400);
        }
      });
    }

    if (caps.presignGet && caps.presignMaxSeconds !== undefined) {
      it('presigns for up to presignMaxSeconds, and refuses longer with INVALID_INPUT', async () => {
        const max = caps.presignMaxSeconds!;
        const key = `${c.folder()}/longest.txt`;
        await put(b, key, 'kept long');
        expect(typeof (await b.presignGet!(key, { expiresIn: max }))).toBe('string');
        await expect(b.presignGet!(key, { expiresIn: max + 1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      });
    }

    if (caps.presignPut) {
      it('presigns PUT URLs that accept uploads', async () => {
        const key = `${c.folder()}/uploaded.txt`;
        const url = await b.presignPut!(key, { expiresIn: 300, contentType: 'text/plain' });
        const response = await fetch(url, {
          method: 'PUT',
          body: 'put through a signed URL',
          headers: { 'content-type': 'text/plain', 'x-ms-blob-type': 'BlockBlob' },
        });
        expect(response.status).toBeLessThan(300);
        expect((await get(b, key)).toString()).toBe('put through a signed URL');
      });
    }

    if (caps.publicUrl) {
      it('gives public URLs', async () => {
        const url = b.publicUrl!(`${c.folder()}/public file.txt`);
        expect(new URL(url).protocol).toMatch(/^https?:$/);
        expect(url).toContain('public%20file.txt');
      });
    }

    if (caps.versioning) {
      it('keeps versions and reads old ones', async () => {
        const key = `${c.folder()}/versioned.txt`;
        await put(b, key, 'v1');
        await put(b, key, 'v2');
        const versions = await b.versions!(key);
        expect(versions.length).toBeGreaterThanOrEqual(2);
        const latest = versions.filter((v) => v.isLatest);
        expect(latest).toHaveLength(1);
        const old = versions.find((v) => !v.isLatest && !v.isDeleteMarker)!;
        expect((await readAll(await b.read(key, { versionId: old.versionId }))).toString()).toBe('v1');
        expect((await get(b, key)).toString()).toBe('v2');
        if (caps.versionDelete) {
          await b.delete(key, { versionId: old.versionId });
          expect((await b.versions!(key)).some((v) => v.versionId === old.versionId)).toBe(false);
        } else {
          await expectUfsError(b.delete(key, { versionId: old.versionId }), 'UNSUPPORTED');
          expect((await b.versions!(key)).some((v) => v.versionId === old.versionId)).toBe(true);
          expect((await get(b, key)).toString()).toBe('v2');
        }
      });
    }

    if (caps.metadata && b.setMetadata) {
      it('replaces user metadata without touching content', async () => {
        const key = `${c.folder()}/m.txt`;
        await put(b, key, 'body');
        await b.setMetadata!(key, { colour: 'blue' });
        expect((await b.stat(key))?.metadata).toMatchObject({ colour: 'blue' });
        expect((await get(b, key)).toString()).toBe('body');
      });
    }
  });
}

type OptionalOp = 'copy' | 'rename' | 'append' | 'presignGet' | 'presignPut' | 'versions' | 'setMetadata';
const OP_CAPABILITY: Record<
  OptionalOp,
  'copy' | 'rename' | 'append' | 'presignGet' | 'presignPut' | 'versioning' | 'metadata'
> = {
  copy: 'copy',
  rename: 'rename',
  append: 'append',
  presignGet: 'presignGet',
  presignPut: 'presignPut',
  versions: 'versioning',
  setMetadata: 'metadata',
};

/** For each capability a backend does NOT declare, the matching operation is absent or fails with UNSUPPORTED. */
export function capabilityTruthCases(c: ContractContext): void {
  const b = c.backend;
  describe('capabilities tell the truth', () => {
    it('declares a complete capabilities object', () => {
      for (const flag of ['read', 'write', 'delete', 'list', 'range', 'copy', 'rename', 'atomicWrite'] as const) {
        expect(typeof b.capabilities[flag]).toBe('boolean');
      }
      expect(['md5', 'sha256', 'none']).toContain(b.capabilities.storedHash);
      expect(b.capabilities.read).toBe(true);
    });

    it('offers every operation it declares, and no undeclared one works', async () => {
      for (const [op, capability] of Object.entries(OP_CAPABILITY) as [OptionalOp, keyof typeof b.capabilities][]) {
        const method = b[op] as ((...args: unknown[]) => Promise<unknown>) | undefined;
        if (b.capabilities[capability]) {
          if (op !== 'setMetadata') expect({ op, type: typeof method }).toEqual({ op, type: 'function' });
          continue;
        }
        if (method === undefined) continue;
        const key = `${c.folder()}/cap-${op}.txt`;
        const args: unknown[] =
          op === 'copy' || op === 'rename'
            ? [key, `${key}.2`]
            : op === 'append'
              ? [key, Readable.from([Buffer.from('x')])]
              : op === 'presignGet' || op === 'presignPut'
                ? [key, { expiresIn: 60 }]
                : op === 'setMetadata'
                  ? [key, { a: 'b' }]
                  : [key];
        await expectUfsError(method.apply(b, args), 'UNSUPPORTED');
      }
    });
  });
}
