import type { EntryStat } from '@org/core';

/**
 * A listed entry that is a symbolic link (local and SFTP listings): described as what it points to (a file or a
 * folder), and marked `isLink` so that walks that must not follow links (the empty folders of a move) can tell.
 */
export interface LinkEntry extends EntryStat {
  isLink: true;
}

/** The entry of a symbolic link, described as its target. */
export function linkEntry(target: EntryStat): LinkEntry {
  return { ...target, isLink: true };
}

/** Whether a listed entry is a symbolic link (see linkEntry): a walk lists it but does not go below it. */
export function isLinkEntry(entry: EntryStat): boolean {
  return (entry as Partial<LinkEntry>).isLink === true;
}
