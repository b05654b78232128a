import { parentKey, type ErrorContext } from '@org/core';
import { call, type Session, type SftpStats } from './connection.js';
import { sftpStatus, STATUS, ufsError } from './errors.js';

/** Prefix of the temporary files that writes rename into place; listings hide them. */
export const TEMP_PREFIX = '.ufs-upload-';

/** The absolute remote path of a (normalised) key. */
export function remotePath(s: Session, key: string): string {
  if (key === '') return s.root;
  return s.root === '/' ? `/${key}` : `${s.root}/${key}`;
}

function inside(s: Session, real: string): boolean {
  return real === s.root || real.startsWith(s.root === '/' ? '/' : `${s.root}/`);
}

/**
 * Refuses keys that resolve outside the mount root. The server resolves the path (symlinks included) with
 * SSH_FXP_REALPATH; when intermediate folders are missing, the deepest existing ancestor is resolved instead (what
 * is created below it is created by us, as real folders). PERMISSION_DENIED when it escapes.
 *
 * Checked before each operation: a symlink swapped in by someone else between the check and the operation is not
 * caught (SFTP has no openat/O_NOFOLLOW), so this guards against links present in the tree, not against a
 * concurrent attacker with write access to the same tree.
 */
export async function confine(s: Session, key: string, context: ErrorContext): Promise<void> {
  for (let k = key; k !== ''; k = parentKey(k)) {
    let real: string;
    try {
      real = await call<string>((cb) => s.sftp.realpath(remotePath(s, k), cb));
    } catch (err) {
      if (sftpStatus(err) === STATUS.NO_SUCH_FILE) continue;
      throw err;
    }
    if (!inside(s, real)) {
      throw ufsError('PERMISSION_DENIED', context, `"${k}" resolves to "${real}", outside the mount root (symlink)`);
    }
    return;
  }
}

/** `stat` (following symlinks) or null when nothing is there. */
export async function statOrNull(s: Session, path: string): Promise<SftpStats | null> {
  try {
    return await call<SftpStats>((cb) => s.sftp.stat(path, cb));
  } catch (err) {
    if (sftpStatus(err) === STATUS.NO_SUCH_FILE) return null;
    throw err;
  }
}

/** `lstat` (the link itself) or null when nothing is there. */
export async function lstatOrNull(s: Session, path: string): Promise<SftpStats | null> {
  try {
    return await call<SftpStats>((cb) => s.sftp.lstat(path, cb));
  } catch (err) {
    if (sftpStatus(err) === STATUS.NO_SUCH_FILE) return null;
    throw err;
  }
}

/**
 * Makes the folder `key` and its missing parents (`mkdir -p`), confined to the root. Safe against concurrent
 * creation of the same folders. INVALID_INPUT when a file stands where a folder is needed.
 */
export async function makeFolders(s: Session, key: string, context: ErrorContext): Promise<void> {
  const missing: string[] = [];
  let k = key;
  for (;;) {
    const stats = await statOrNull(s, remotePath(s, k));
    if (stats) {
      if (!stats.isDirectory()) throw ufsError('INVALID_INPUT', context, `"${k}" is a file, not a folder`);
      break;
    }
    if (k === '') throw ufsError('NOT_FOUND', context, 'the mount root no longer exists');
    missing.unshift(k);
    k = parentKey(k);
  }
  await confine(s, k, context);
  for (const folder of missing) {
    const path = remotePath(s, folder);
    try {
      await call((cb) => s.sftp.mkdir(path, cb));
    } catch (err) {
      // Created meanwhile by a concurrent call: fine when it is a folder now.
      const stats = sftpStatus(err) === STATUS.FAILURE ? await statOrNull(s, path) : null;
      if (!stats?.isDirectory()) throw err;
    }
  }
}

/** A name whose NFD form differs (`café`): a file written on macOS may hold it decomposed. */
function decomposable(name: string): boolean {
  return name.normalize('NFD') !== name;
}

/**
 * `key` with each segment spelled as it is on the server. Keys are NFC, but names copied from a Mac are often NFD
 * there: when the NFC name is not in its folder and the NFD one is, that is the file the key means (as on local
 * mounts: a listed name can be read, copied, overwritten, deleted). A segment with neither is kept as it is (and
 * what is below it); keys without a decomposable letter cost no request. An NFD spelling the server cannot even look
 * up (too long, say) is taken as absent.
 */
export async function spelledKey(s: Session, key: string): Promise<string> {
  if (!decomposable(key)) return key;
  const segments = key.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (!decomposable(segment)) continue;
    const here = segments.slice(0, i + 1).join('/');
    if (await lstatOrNull(s, remotePath(s, here))) continue;
    segments[i] = segment.normalize('NFD');
    const nfd = await lstatOrNull(s, remotePath(s, segments.slice(0, i + 1).join('/'))).catch(() => null);
    if (nfd) continue;
    // Neither spelling: nothing below can be there either.
    segments[i] = segment;
    return segments.join('/');
  }
  return segments.join('/');
}

/** An entry listed or stat'ed under `spelled` (see spelledKey), named again by the key it was asked by. */
export function asAsked<T extends { key: string }>(entry: T, spelled: string, key: string): T {
  if (spelled === key) return entry;
  if (entry.key === spelled) entry.key = key;
  else if (entry.key.startsWith(`${spelled}/`)) entry.key = key + entry.key.slice(spelled.length);
  return entry;
}
