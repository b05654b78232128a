import { lookup } from 'mime-types';

/** `.gz` of `a.tar.gz`; empty for `.hidden`, `name` and `name.`. */
export function suffixOf(basename: string): string {
  const dot = basename.lastIndexOf('.');
  return dot > 0 && dot < basename.length - 1 ? basename.slice(dot) : '';
}

/** `a.tar` of `a.tar.gz`. */
export function stemOf(basename: string): string {
  const suffix = suffixOf(basename);
  return suffix === '' ? basename : basename.slice(0, -suffix.length);
}

/** MIME type from the file name; `application/octet-stream` when unknown. */
export function mimetypeOf(basename: string): string {
  return lookup(basename) || 'application/octet-stream';
}

/** MIME type from the file name, or undefined when the name says nothing. */
export function knownMimetype(basename: string): string | undefined {
  return lookup(basename) || undefined;
}

/** Splits `mount:path` into its mount name and path (no colon: the mount's root). */
export function splitFullpath(fullpath: string): { mount: string; path: string } {
  const colon = fullpath.indexOf(':');
  return colon < 0
    ? { mount: fullpath, path: '' }
    : { mount: fullpath.slice(0, colon), path: fullpath.slice(colon + 1) };
}
