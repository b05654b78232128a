import { PassThrough, type Readable } from 'node:stream';
import {
  isUfsError,
  isWithin,
  parentKey,
  type DeleteOptions,
  type EntryStat,
  type ErrorContext,
  type MkdirOptions,
  type ReadOptions,
} from '@org/core';
import { call, type Session, type SftpDirEntry, type SftpStats } from './connection.js';
import { sftpError, sftpStatus, STATUS, ufsError } from './errors.js';
import { confine, lstatOrNull, makeFolders, remotePath, statOrNull, TEMP_PREFIX } from './paths.js';
import { PipelinedRead } from './reader.js';
import { moveInto } from './writer.js';
import { linkEntry } from '../../util/links.js';

/** Unlinks in flight at once while deleting a tree. */
const DELETE_CONCURRENCY = 16;

export function entryOf(key: string, stats: SftpStats): EntryStat {
  const isDir = stats.isDirectory();
  return {
    key,
    isFile: stats.isFile(),
    isDir,
    size: isDir ? 0 : stats.size,
    // Unsigned 32-bit seconds as ssh2 reads them (never negative): a server file dated outside 1970–2106 arrives
    // already wrapped by the server (OpenSSH casts st_mtime to u_int32); nothing here can tell it apart.
    mtime: new Date(stats.mtime * 1000),
  };
}

export function childKey(folder: string, name: string): string {
  return folder === '' ? name : `${folder}/${name}`;
}

export async function statKey(s: Session, key: string, context: ErrorContext): Promise<EntryStat | null> {
  try {
    await confine(s, key, context);
  } catch (err) {
    // A link out of the mount root: the link itself is inside and is described (never what it points to).
    const link = isUfsError(err) && err.code === 'PERMISSION_DENIED' ? await unfollowedLink(s, key, context) : null;
    if (link) return link;
    throw err;
  }
  const stats = await statOrNull(s, remotePath(s, key));
  return stats ? entryOf(key, stats) : unfollowedLink(s, key, context);
}

/**
 * A symbolic link that is not followed — dangling, or pointing out of the mount root — is there (as `stat` without
 * -L and `rm` see it, and as on a local mount): described as neither file nor folder, so that it can be deleted (the
 * link itself, see deleteKey), while reading through it finds nothing or is refused. Null when `key` is no link.
 */
async function unfollowedLink(s: Session, key: string, context: ErrorContext): Promise<EntryStat | null> {
  if (key === '') return null;
  await confine(s, parentKey(key), context);
  const stats = await lstatOrNull(s, remotePath(s, key));
  if (!stats?.isSymbolicLink()) return null;
  return linkEntry({ key, isFile: false, isDir: false, size: 0, mtime: new Date(stats.mtime * 1000) });
}

/** A ranged read stream; errors from the SFTP stream arrive mapped to UfsErrors, aborts end it with ABORTED. */
export async function readKey(s: Session, key: string, options: ReadOptions, context: ErrorContext): Promise<Readable> {
  const { start, end, signal } = options;
  for (const [name, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw ufsError('INVALID_INPUT', context, `"${name}" must be a non-negative integer, got ${String(value)}`);
    }
  }
  if (start !== undefined && end !== undefined && start > end) {
    throw ufsError('INVALID_INPUT', context, `range start ${start} is after end ${end}`);
  }
  await confine(s, key, context);
  const path = remotePath(s, key);
  const stats = await statOrNull(s, path);
  if (!stats) throw ufsError('NOT_FOUND', context, 'no such file');
  if (stats.isDirectory()) throw ufsError('INVALID_INPUT', context, `"${key}" is a folder, not a file`);
  signal?.throwIfAborted();
  const handle = await call<Buffer>((cb) => s.sftp.open(path, 'r', cb));
  if (signal?.aborted) {
    // The read was stopped while the file was opened (it has settled already): close what no one will read.
    call((cb) => s.sftp.close(handle, cb)).catch(() => undefined);
    signal.throwIfAborted();
  }
  const source = new PipelinedRead(s.sftp, handle, { start, end });
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  const onAbort = () => out.destroy(sftpError(signal?.reason, context, false, signal));
  source.on('error', (err: Error) => out.destroy(sftpError(err, context, !s.alive, signal)));
  out.on('close', () => {
    signal?.removeEventListener('abort', onAbort);
    if (!source.destroyed) source.destroy();
  });
  signal?.addEventListener('abort', onAbort, { once: true });
  source.pipe(out);
  return out;
}

/** A folder's entries; null when nothing is there, 'file' when a file is. */
export async function readFolder(s: Session, path: string): Promise<SftpDirEntry[] | 'file' | null> {
  try {
    return await call<SftpDirEntry[]>((cb) => s.sftp.readdir(path, cb));
  } catch (err) {
    const status = sftpStatus(err);
    if (status !== STATUS.NO_SUCH_FILE && status !== STATUS.FAILURE) throw err;
    // OpenSSH answers "no such file" for a file too (ENOTDIR), other servers a plain failure.
    const stats = await statOrNull(s, path);
    if (stats && !stats.isDirectory()) return 'file';
    if (status === STATUS.NO_SUCH_FILE) return null;
    throw err;
  }
}

/** The entries of a folder known to be one (nothing when it went away meanwhile). */
async function entriesOf(s: Session, path: string): Promise<SftpDirEntry[]> {
  const entries = await readFolder(s, path);
  return Array.isArray(entries) ? entries : [];
}

async function removeTree(s: Session, path: string): Promise<void> {
  const children = await entriesOf(s, path);
  const files = children.filter((c) => c.filename !== '.' && c.filename !== '..' && !c.attrs.isDirectory());
  for (let i = 0; i < files.length; i += DELETE_CONCURRENCY) {
    await Promise.all(
      files.slice(i, i + DELETE_CONCURRENCY).map((f) =>
        call((cb) => s.sftp.unlink(`${path}/${f.filename}`, cb)).catch((err: unknown) => {
          if (sftpStatus(err) !== STATUS.NO_SUCH_FILE) throw err;
        }),
      ),
    );
  }
  for (const dir of children.filter((c) => c.filename !== '.' && c.filename !== '..' && c.attrs.isDirectory())) {
    await removeTree(s, `${path}/${dir.filename}`);
    await call((cb) => s.sftp.rmdir(`${path}/${dir.filename}`, cb)).catch((err: unknown) => {
      if (sftpStatus(err) !== STATUS.NO_SUCH_FILE) throw err;
    });
  }
}

/**
 * Deletes a file, a symlink (the link, never its target) or a folder. A non-empty folder needs `recursive`;
 * without it, INVALID_INPUT (as on every backend). Deleting the root with `recursive` empties it and keeps it.
 */
export async function deleteKey(s: Session, key: string, options: DeleteOptions, context: ErrorContext): Promise<void> {
  if (key === '' && !options.recursive) throw ufsError('INVALID_INPUT', context, 'cannot delete the mount root');
  await confine(s, parentKey(key), context);
  const path = remotePath(s, key);
  if (key === '') return removeTree(s, path);
  const stats = await lstatOrNull(s, path);
  if (!stats) return;
  if (!stats.isDirectory()) {
    await call((cb) => s.sftp.unlink(path, cb)).catch((err: unknown) => {
      if (sftpStatus(err) !== STATUS.NO_SUCH_FILE) throw err;
    });
    return;
  }
  if (options.recursive) {
    await removeTree(s, path);
  } else {
    const inside = (await entriesOf(s, path)).filter((c) => c.filename !== '.' && c.filename !== '..');
    // Only what listings show counts: leftovers of interrupted uploads go with the folder.
    if (inside.some((c) => !c.filename.startsWith(TEMP_PREFIX))) {
      throw ufsError('INVALID_INPUT', context, `folder "${key}" is not empty; delete it with { recursive: true }`);
    }
    await removeTree(s, path);
  }
  await call((cb) => s.sftp.rmdir(path, cb)).catch((err: unknown) => {
    if (sftpStatus(err) !== STATUS.NO_SUCH_FILE) throw err;
  });
}

export async function mkdirKey(s: Session, key: string, options: MkdirOptions, context: ErrorContext): Promise<void> {
  await confine(s, key, context);
  const path = remotePath(s, key);
  const existing = await statOrNull(s, path);
  if (existing) {
    if (existing.isDirectory() && options.existOk) return;
    throw ufsError(
      'ALREADY_EXISTS',
      context,
      existing.isDirectory() ? `folder "${key}" already exists` : `a file is at "${key}"`,
    );
  }
  if (options.parents) return makeFolders(s, key, context);
  try {
    await call((cb) => s.sftp.mkdir(path, cb));
  } catch (err) {
    if (sftpStatus(err) === STATUS.NO_SUCH_FILE) {
      const parent = parentKey(key);
      // OpenSSH answers "no such file" below a file too: that parent is there, but is no folder.
      if ((await statOrNull(s, remotePath(s, parent)))?.isDirectory() === false)
        throw ufsError('INVALID_INPUT', context, `"${parent}" is a file, not a folder`, err);
      throw ufsError(
        'NOT_FOUND',
        { ...context, missing: `${String(context.mount)}:${parent}` },
        `parent folder "${parent}" does not exist (use { parents: true })`,
        err,
      );
    }
    const now = sftpStatus(err) === STATUS.FAILURE ? await statOrNull(s, path) : null;
    if (now?.isDirectory() && options.existOk) return;
    if (now) throw ufsError('ALREADY_EXISTS', context, `"${key}" already exists`, err);
    throw err;
  }
}

/** Native rename; the destination's parents are created, an existing destination file is replaced atomically. */
export async function renameKey(s: Session, from: string, to: string, context: ErrorContext): Promise<void> {
  if (from === '' || to === '') throw ufsError('INVALID_INPUT', context, 'cannot rename the mount root');
  if (to !== from && isWithin(from, to)) throw ufsError('INVALID_INPUT', context, `cannot move "${from}" into itself`);
  await confine(s, parentKey(from), context);
  const source = remotePath(s, from);
  if (!(await lstatOrNull(s, source))) throw ufsError('NOT_FOUND', context, `"${from}" does not exist`);
  if (from === to) return;
  await makeFolders(s, parentKey(to), context);
  await moveInto(s, source, remotePath(s, to), false, context, to);
}
