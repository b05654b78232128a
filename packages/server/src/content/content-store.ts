import { randomUUID } from 'node:crypto';
import { link, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import {
  UfsError,
  contentKey,
  hashFromContentKey,
  isUfsError,
  toUfsError,
  type EntryStat,
  type StorageBackend,
} from '@org/core';
import { walkPage } from '@org/storage';
import { serverFault } from '../http/server-fault.js';
import { LimitedHasher } from './limit-hash.js';

/** Prefix of objects being written or assembled; never a content key (those start with two hex characters). */
export const TEMP_PREFIX = '_tmp';
export const TUS_PREFIX = '_tus';
/**
 * Start of the readiness probe's folder name at the mount root (`_probe-<replicaId>-<nonce>/`, and `_tmp/_probe-…` on its
 * way there; see ReadinessService); never a content key either.
 */
export const PROBE_PREFIX = '_probe';

const CLEANUP_LOG = new Logger('ufs.content');

/**
 * The content side of the dedup server, over any StorageBackend: temporary keys, placing verified content at
 * `contentKey(sha256)` without ever overwriting an existing object, reads with ranges, listing for GC.
 *
 * The one gateway to the content mount: a failure of the mount is the server's, never the client's, and leaves here
 * as a serverFault (500, or 503 when it may pass), whatever the backend called it. Only what callers act on passes as
 * the backend said it: NOT_FOUND where a missing object is an answer (reads, stat, place), and the failure of a
 * source given to `write` (a body over the limit, a client that went away: the client's).
 */
export class ContentStore {
  constructor(readonly backend: StorageBackend) {}

  private fault(err: unknown, operation: string, key: string): UfsError {
    return serverFault(err, { backend: this.backend.protocol, operation, path: key });
  }

  /** NOT_FOUND as is (the caller decides what a missing object means), anything else a fault. */
  private faultUnlessMissing(err: unknown, operation: string, key: string): UfsError {
    return isUfsError(err, 'NOT_FOUND') ? err : this.fault(err, operation, key);
  }

  newTempKey(): string {
    return `${TEMP_PREFIX}/${randomUUID()}`;
  }

  /**
   * Writes a stream to a key (a temp key or a tus part). A source that failed on its own (a UfsError of this server's,
   * not a backend's: TOO_LARGE, ABORTED, a malformed multipart body) fails the write with its error; a backend that
   * fails destroys the source with its own error, and that is a fault.
   */
  async write(key: string, source: Readable, size?: number): Promise<void> {
    try {
      await this.backend.write(key, source, size === undefined ? {} : { size });
    } catch (err) {
      const own = source.errored;
      if (isUfsError(own) && own.context.backend === undefined) throw own;
      // The object (or its folder) vanished while it was written: removed meanwhile (a GC of stale temporary objects,
      // a terminated tus upload). Nothing is wrong with the mount: 503, the client may try again.
      if (toUfsError(err).code === 'NOT_FOUND') {
        const vanished = new UfsError(
          'UNAVAILABLE',
          `[ufs] ${(err as Error).message.replace(/^\[ufs\] /, '')} (removed while it was written)`,
          {
            cause: err,
            retryable: true,
          },
        );
        throw this.fault(vanished, 'write', key);
      }
      throw this.fault(err, 'write', key);
    }
  }

  /**
   * Makes the verified object at `tempKey` visible at the content key of `sha256`, never replacing an object that is
   * already there: a hard link on backends with a real path, else a conditional write (`ifNotExists`), else a
   * check-then-copy (racing writers then both write the same verified bytes). The temp object is left in place.
   */
  async place(tempKey: string, sha256: string, size: number): Promise<'placed' | 'existed'> {
    try {
      return await this.placeOnce(tempKey, sha256, size);
    } catch (err) {
      // NOT_FOUND: the temp object is gone (ContentService.commit tells the client to retry).
      throw this.faultUnlessMissing(err, 'place', contentKey(sha256));
    }
  }

  private async placeOnce(tempKey: string, sha256: string, size: number): Promise<'placed' | 'existed'> {
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
          // ENOENT after the folder was made: the temp object is gone (NOT_FOUND, see place).
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
      throw this.fault(err, 'read', contentKey(sha256));
    }
    return hasher.digest() === sha256;
  }

  /**
   * Hashes the object at `key` (an object this server wrote: a tus part) into `hasher`. NOT_FOUND as is; anything else,
   * a hasher refusing more bytes than expected included, is a fault.
   */
  async hashKey(key: string, hasher: LimitedHasher, expectedBytes: number): Promise<void> {
    const stream = await this.readKey(key);
    try {
      await hasher.drain(stream, { expectedBytes });
    } catch (err) {
      throw this.faultUnlessMissing(err, 'read', key);
    }
  }

  /** Deletes an object; a missing one is fine. */
  async remove(key: string): Promise<void> {
    try {
      await this.backend.delete(key);
    } catch (err) {
      if (!isUfsError(err, 'NOT_FOUND')) throw this.fault(err, 'delete', key);
    }
  }

  /** Best effort cleanup after a failure: never hides the original error. */
  async discard(key: string): Promise<void> {
    await this.remove(key).catch(() => undefined);
  }

  /**
   * Cleanup after a failed upload, in the background: its answer does not wait for a mount that stopped answering
   * (an S3 service pays its timeouts again for the delete). A failure is logged; `gc` removes what is left (temporary
   * objects older than the grace period).
   */
  discardLater(key: string): void {
    void this.remove(key).catch((err: unknown) => {
      const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      CLEANUP_LOG.warn(`the temporary object "${key}" of a failed upload was not removed (gc will remove it): ${why}`);
    });
  }

  stat(sha256: string): Promise<EntryStat | null> {
    return this.statKey(contentKey(sha256));
  }

  async statKey(key: string): Promise<EntryStat | null> {
    try {
      return await this.backend.stat(key);
    } catch (err) {
      throw this.fault(err, 'stat', key);
    }
  }

  /** A stream of the object of `sha256`; NOT_FOUND as is when it is missing. */
  read(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    return this.readAt(contentKey(sha256), range);
  }

  readKey(key: string): Promise<Readable> {
    return this.readAt(key);
  }

  private async readAt(key: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      return await this.backend.read(key, range ?? {});
    } catch (err) {
      throw this.faultUnlessMissing(err, 'read', key);
    }
  }

  removeContent(sha256: string): Promise<void> {
    return this.remove(contentKey(sha256));
  }

  /**
   * Every object below a prefix (`''` for the whole mount), page by page. `includeTemporary`: the backend's own
   * temporary files too (a local mount's `.ufs-*.tmp`, of a write in progress or one a killed process left), marked
   * `temporary` (see ListOptions.includeTemporary). A backend without a recursive listing (SFTP, WebDAV without
   * `Depth: infinity`) is walked one folder at a time.
   */
  async *walk(prefix: string, options: { includeTemporary?: boolean } = {}): AsyncGenerator<EntryStat> {
    const includeTemporary = options.includeTemporary ?? false;
    const native = this.backend.capabilities.recursiveList;
    let cursor: string | undefined;
    do {
      let page;
      try {
        const listing = {
          ...(includeTemporary && { includeTemporary }),
          ...(cursor !== undefined && { cursor }),
        };
        page = native
          ? await this.backend.list(prefix, { recursive: true, ...listing })
          : await walkPage(this.backend, prefix, listing);
      } catch (err) {
        if (isUfsError(err, 'NOT_FOUND')) return;
        throw this.fault(err, 'list', prefix);
      }
      for (const entry of page.entries) if (entry.isFile) yield entry;
      cursor = page.cursor;
    } while (cursor !== undefined);
  }

  /**
   * Removes every object below `prefix` (the backend's temporary files of writes into it included: a killed write's
   * leftover would keep the folder) and, on a backend with real folders (a local mount), the folder itself, so that
   * no empty folder is left behind. The folder goes only when empty: an object written into it meanwhile stays.
   */
  async removePrefix(prefix: string): Promise<void> {
    for await (const entry of this.walk(prefix, { includeTemporary: true })) await this.remove(entry.key);
    await this.removeFolder(prefix);
  }

  /** On a backend with real folders, removes the folder `prefix` if it is empty (else, or when absent, leaves it). */
  async removeFolder(prefix: string): Promise<void> {
    if (!this.backend.capabilities.directories) return;
    try {
      await this.backend.delete(prefix);
    } catch (err) {
      // NOT_FOUND: no folder was ever made. Anything else (a part written meanwhile): the folder stays, and goes with
      // that part.
      if (!isUfsError(err, 'NOT_FOUND') && !isUfsError(err, 'INVALID_INPUT')) throw this.fault(err, 'delete', prefix);
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
