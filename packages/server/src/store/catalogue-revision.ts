import { randomBytes } from 'node:crypto';
import type { FileRecord } from './store.js';

/**
 * A host's catalogue revision: `<n>.<tag>`, where `n` counts the writes to that host's records and `tag` is drawn
 * at random by each of them; `0` before the first. Opaque to clients, who only compare it. The tag is what keeps a
 * value from ever coming back: a store restored from a backup (revision 5) and written again reaches a 6 that is not
 * the 6 a client saw before the restore.
 */
export const INITIAL_REVISION = '0';

/** The revision string of the `n`th write of a host, with its tag. */
export function revisionOf(n: number, tag: string): string {
  return n === 0 ? INITIAL_REVISION : `${n}.${tag}`;
}

/** A fresh tag for one write. */
export function revisionTag(): string {
  return randomBytes(6).toString('hex');
}

/**
 * One write's move of a host's revision: `after` is the revision that write left; `before` the one it found, or
 * null when the store cannot say that no other write of that host came in between (see MongoStore).
 */
export interface RevisionStep {
  before: string | null;
  after: string;
}

/**
 * What a record says about its file, as a client remembers it (not atime, ip_address nor the server's dates). A put
 * that leaves all of them as they were leaves the host's revision as it is in a store that can tell (SQLite), so that
 * a record sent again unchanged (a scan without its cache, a retried batch, another machine with the same tree) does
 * not make every client forget that host.
 */
export const FILE_FIELDS = [
  'sha256',
  'file_size',
  'file_mode',
  'file_uid',
  'file_gid',
  'file_mtime',
  'file_ctime',
  'is_symlink',
  'link_target',
] as const satisfies readonly (keyof FileRecord)[];
