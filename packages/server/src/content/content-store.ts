import { randomUUID } from 'node:crypto';
import { link, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  UfsError,
  contentKey,
  hashFromContentKey,
  isUfsError,
  toUfsError,
  type EntryStat,
  type StorageBackend,
} from '@org/core';
import { LimitedHasher } from './limit-hash.js';

/** Prefix of objects being written or assembled; never a content key (those start with two hex characters). */
export const TEMP_PREFIX = '_tmp';
export const TUS_PREFIX = '_tus';

/**
 * The content side of the dedup server, over any StorageBackend: temporary keys, placing verified content at
 * `contentKey(sha256)` without ever overwriting an existing object, reads with ranges, listing for GC.
 */
export class ContentStore {
  constructor(readonly backend: StorageBackend) {}

  newTempKey(): string {
    return `${TEMP_PREFIX}/${randomUUID()}`;
  }

  /** Writes a stream to a key (a temp key or a tus part). */
  async write(key: string, source: Readable, size?: number): Promise<void> {
    await this.backend.write(key, source, size === undefined ? {} : { size });
  }

  /**
   * Makes the verified object at `tempKey` visible at the content key of `sha256`, never replacing an object that is
   * already there: a hard link on backends with a real path, else a conditional write (`ifNotExists`), else a
   * check-then-copy (racing writers then both write the same verified bytes). The temp object is left in place.
   */
  async place(tempKey: string, sha256: string, size: number): Promise<'placed' | 'existed'> {
    const finalKey = contentKey(sha256);
    const backend = this.backend;
    if (backend.localPath) {
      // The folder is resolved, not the new file (one real-path lookup, not a failed one and a walk up); `link` never
      // follows or replaces what is at its target, so the name is joined as is. The folder is made only when missing.
      const slash = finalKey.lastIndexOf('/');
      const [from, folder] = await Promise.all([
        backend.localPath(tempKey),
        backend.localPath(finalKey.slice(0, slash)),
      ]);
      const to = join(folder, finalKey.slice(slash + 1));
      try {
        await link(from, to).catch(async (err: unknown) => {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          await mkdir(folder, { recursive: true });
          await link(from, to);
        });
        return 'placed';
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'existed';
        if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK'].includes((err as NodeJS.ErrnoException).code ?? '')) {
          throw toUfsError(err, { backend: backend.protocol, operation: 'place', path: finalKey });
        }
      }
    }
    if (backend.capabilities.conditionalWrite) {
      try {
        await backend.write(finalKey, await backend.read(tempKey), { ifNotExists: true, size });
        return 'placed';
      } catch (err) {
        if (isUfsError(err, 'ALREADY_EXISTS')) return 'existed';
        throw err;
      }
    }
    if (await backend.stat(finalKey)) return 'existed';
    if (backend.copy && backend.capabilities.copy) await backend.copy(tempKey, finalKey);
    else await backend.write(finalKey, await backend.read(tempKey), { size });
    return 'placed';
  }

  /**
   * Whether the object at the content key of `sha256` really holds that content (`size` bytes with that hash): read
   * and hashed in full, for an object no record vouches for.
   */
  async holds(sha256: string, size: number): Promise<boolean> {
    const found = await this.stat(sha256);
    if (!found || found.size !== size) return false;
    const hasher = new LimitedHasher(size);
    try {
      await hasher.drain(await this.read(sha256), { expectedBytes: size });
    } catch (err) {
      if (isUfsError(err, 'TOO_LARGE') || isUfsError(err, 'NOT_FOUND')) return false;
      throw err;
    }
    return hasher.digest() === sha256;
  }

  /** Deletes an object; a missing one is fine. */
  async remove(key: string): Promise<void> {
    try {
      await this.backend.delete(key);
    } catch (err) {
      if (!isUfsError(err, 'NOT_FOUND')) throw err;
    }
  }

  /** Best effort cleanup after a failure: never hides the original error. */
  async discard(key: string): Promise<void> {
    await this.remove(key).catch(() => undefined);
  }

  stat(sha256: string): Promise<EntryStat | null> {
    return this.backend.stat(contentKey(sha256));
  }

  read(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    return this.backend.read(contentKey(sha256), range ?? {});
  }

  readKey(key: string): Promise<Readable> {
    return this.backend.read(key);
  }

  removeContent(sha256: string): Promise<void> {
    return this.remove(contentKey(sha256));
  }

  /** Every object below a prefix (`''` for the whole mount), page by page. */
  async *walk(prefix: string): AsyncGenerator<EntryStat> {
    let cursor: string | undefined;
    do {
      let page;
      try {
        page = await this.backend.list(
          prefix,
          cursor === undefined ? { recursive: true } : { recursive: true, cursor },
        );
      } catch (err) {
        if (isUfsError(err, 'NOT_FOUND')) return;
        throw err;
      }
      for (const entry of page.entries) if (entry.isFile) yield entry;
      cursor = page.cursor;
    } while (cursor !== undefined);
  }

  /**
   * Removes every object below `prefix` and, on a backend with real folders (a local mount), the folder itself, so
   * that no empty folder is left behind. The folder goes only when empty: an object written into it meanwhile stays.
   */
  async removePrefix(prefix: string): Promise<void> {
    for await (const entry of this.walk(prefix)) await this.remove(entry.key);
    if (!this.backend.capabilities.directories) return;
    try {
      await this.backend.delete(prefix);
    } catch (err) {
      // NOT_FOUND: no folder was ever made. Anything else (a part written meanwhile): the folder stays, and goes with
      // that part.
      if (!isUfsError(err, 'NOT_FOUND') && !isUfsError(err, 'INVALID_INPUT')) throw err;
    }
  }

  /** Content objects (keys of the `aa/aabb…` layout) with their hash. */
  async *walkContent(): AsyncGenerator<EntryStat & { sha256: string }> {
    for await (const entry of this.walk('')) {
      const sha256 = hashFromContentKey(entry.key);
      if (sha256 && entry.key === contentKey(sha256)) yield { ...entry, sha256 };
    }
  }
}

export function integrityError(expected: string, actual: string): UfsError {
  return new UfsError(
    'INTEGRITY',
    `[ufs] content SHA-256 mismatch: expected ${expected}, got ${actual}; nothing was stored`,
    { context: { operation: 'upload' } },
  );
}
