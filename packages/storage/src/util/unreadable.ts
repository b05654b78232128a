import type { EntryStat, UfsError } from '@org/core';

/**
 * A listed entry that the backend found but could not fully describe: a link in a loop (ELOOP), a name the
 * filesystem refuses to resolve (ENAMETOOLONG), a stat that was refused (EACCES), or a folder whose contents could not
 * be read. `unreadable` says why. It is neither a file nor a folder when nothing could be learnt about it; a folder
 * that could not be read is `isDir` (it is there) with nothing listed below it.
 *
 * Backends yield such an entry instead of failing the whole listing; the node layer leaves it out (a folder stays)
 * and reports the error to `onUnreadable` (else as a warning), and a tree copy counts it among its `errors`.
 */
export interface UnreadableEntry extends EntryStat {
  unreadable: UfsError;
}

/** An entry known only by its key: neither file nor folder, no size or date, and why. */
export function unreadableEntry(key: string, error: UfsError): UnreadableEntry {
  return { key, isFile: false, isDir: false, size: 0, unreadable: error };
}

/** Why a listed entry could not be (fully) read, or undefined for an ordinary entry. */
export function unreadableOf(entry: EntryStat): UfsError | undefined {
  return (entry as Partial<UnreadableEntry>).unreadable;
}
