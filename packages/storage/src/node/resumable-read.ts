import { Readable } from 'node:stream';
import {
  backoffDelay,
  describeContext,
  sleep,
  toUfsError,
  UfsError,
  type EntryStat,
  type ErrorContext,
  type Key,
  type ReadOptions,
  type StorageBackend,
} from '@org/core';

/** Re-opened reads after the first cut, at most; the error of the last one is the read's. */
export const READ_RESUMES = 5;
/** Backoff before each re-opened read (equal jitter): 0.25 s, 0.5 s, 1 s, … capped at 8 s. */
const BACKOFF = { baseDelayMs: 250, maxDelayMs: 8_000, jitter: 'equal' } as const;

/**
 * What a resumed read compares: a stat of the file, from its backend or its node (a `SourceStat` fits; a size it
 * does not know means the read is not resumed).
 */
export type ReadIdentity = Pick<EntryStat, 'isFile' | 'mtime' | 'etag' | 'versionId'> & { size: number | undefined };

/**
 * What tells one version of a file from another: its version id, else its ETag, else its modification time; and
 * its size. `undefined` when the backend reports none of the three (the read is then not resumed).
 */
function identityOf(stat: ReadIdentity | null): string | undefined {
  if (!stat?.isFile || stat.size === undefined) return undefined;
  if (stat.versionId !== undefined) return `version ${stat.versionId}`;
  if (stat.etag !== undefined) return `etag ${stat.etag}`;
  if (stat.mtime !== undefined && !Number.isNaN(stat.mtime.getTime())) return `modified ${stat.mtime.toISOString()}`;
  return undefined;
}

/** A value in quotes for a message, once: HTTP ETags come with their own (`"abc"`, `W/"abc"`). */
function quoted(value: string | undefined): string {
  if (value === undefined) return 'none';
  return value.endsWith('"') ? value : `"${value}"`;
}

/** How `now` differs from `before` (`etag "a" → "b"`, `size 10 → 12`, `deleted`), or `undefined` when it does not. */
function changeBetween(before: ReadIdentity, now: ReadIdentity | null): string | undefined {
  if (!now?.isFile) return 'it was removed';
  if (before.versionId !== undefined && now.versionId !== before.versionId) {
    return `version ${quoted(before.versionId)} → ${quoted(now.versionId)}`;
  }
  if (before.etag !== undefined && now.etag !== before.etag) return `etag ${quoted(before.etag)} → ${quoted(now.etag)}`;
  if (before.etag === undefined && before.mtime?.getTime() !== now.mtime?.getTime()) {
    return `modified ${before.mtime?.toISOString()} → ${now.mtime?.toISOString() ?? 'none'}`;
  }
  if (now.size !== before.size) return `size ${before.size} → ${now.size} bytes`;
  return undefined;
}

/** Never emitted without a listener: the stream's error is read from its state by the iteration. */
function held(stream: Readable): Readable {
  stream.on('error', () => {});
  return stream;
}

/**
 * Opens a read of `key` that survives dropped connections: when the stream fails with a retryable error (UNAVAILABLE:
 * a reset, a body cut short; TIMEOUT of a stalled socket), the read is opened again from the next byte with a ranged
 * read, up to `READ_RESUMES` times with backoff, and the caller sees one continuous stream. A resumed read is used
 * only when the file is provably the one being read: the file is stat-ed before the first read and again after each
 * re-opened one (so the re-opened answer was made before the second stat), and its version id, ETag or modification
 * time, and its size, must be the same; on a versioned mount the re-opened read asks for the version found at open.
 * A file that changed fails the read with INTEGRITY naming it and the change. Backends without ranged reads, files
 * whose stat says none of version, ETag or time, and a failing stat (the read then fails as it would) get the plain
 * stream. The abort signal ends the waits and the re-opened reads.
 *
 * `known`: a stat of `key` (of `options.versionId`) the caller made just before, as the copy engine and serveNode
 * do: it is taken as the stat before the first read, and none is made here, so the read costs no request more than
 * the read itself. It must come from a stat call made before this one (never from a listing or a cache).
 */
export async function openResumable(
  backend: StorageBackend,
  key: Key,
  options: ReadOptions,
  context: ErrorContext,
  known?: ReadIdentity,
): Promise<Readable> {
  const { signal, end } = options;
  if (!backend.capabilities.range) return backend.read(key, options);
  let before: ReadIdentity | null = known ?? null;
  if (known === undefined) {
    try {
      before = await backend.stat(key, { versionId: options.versionId, signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      // The read says what is wrong (or reads a file a stat may not see): it is only not resumed.
    }
  }
  if (before === null || identityOf(before) === undefined) return backend.read(key, options);
  const original = before;
  // A version the backend can be asked for (a gcs mount that does not declare versioning still reports generations).
  const versionId = options.versionId ?? (backend.capabilities.versioning ? original.versionId : undefined);
  let source = held(await backend.read(key, options));
  let position = options.start ?? 0;
  let resumes = 0;

  const failed = (detail: string): UfsError =>
    new UfsError('INTEGRITY', `${describeContext(context)} ${detail}`, {
      context: { ...context, resumes },
      retryable: false,
    });

  /** A ranged read from `position`, kept only when a stat made after it finds the same file. */
  async function reopen(): Promise<Readable> {
    const stream = held(await backend.read(key, { start: position, end, versionId, signal }));
    try {
      const change = changeBetween(original, await backend.stat(key, { versionId, signal }));
      if (change !== undefined) {
        throw failed(`the file changed while it was read (${change}) after ${position} bytes: the read is not resumed`);
      }
      return stream;
    } catch (err) {
      stream.destroy();
      throw err;
    }
  }

  async function* content(): AsyncGenerator<Buffer> {
    for (;;) {
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          position += chunk.length;
          yield chunk;
        }
        return;
      } catch (err) {
        let failure = err;
        let error = toUfsError(err, context);
        // A failed re-open counts as a resume too: the network may still be down.
        for (;;) {
          if (signal?.aborted || !error.retryable || resumes >= READ_RESUMES) {
            // Not resumed (or a re-open found the file changed): the error as it came.
            if (resumes === 0 || !error.retryable) throw failure;
            throw new UfsError(
              error.code,
              `${error.message} (the read was resumed ${resumes} time${resumes === 1 ? '' : 's'})`,
              {
                retryable: error.retryable,
                context: { ...error.context, resumes },
                cause: error.cause ?? failure,
                retryAfterMs: error.retryAfterMs,
              },
            );
          }
          resumes++;
          try {
            await sleep(backoffDelay(resumes, BACKOFF), signal);
          } catch (abort) {
            const code = toUfsError(abort).code;
            throw new UfsError(code, `${describeContext(context)} ${code === 'TIMEOUT' ? 'timed out' : 'aborted'}`, {
              context: { ...context, resumes },
              cause: signal?.reason,
              retryable: false,
            });
          }
          try {
            source = await reopen();
            break;
          } catch (reopenError) {
            failure = reopenError;
            error = toUfsError(reopenError, context);
          }
        }
      }
    }
  }

  const out = Readable.from(content(), { objectMode: false });
  // Destroyed before or while reading: the backend stream of the moment is closed (a connection is released).
  out.once('close', () => source.destroy());
  return out;
}
