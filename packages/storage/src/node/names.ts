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

/**
 * MIME type from the file name's extension (`suffixOf`); `application/octet-stream` when it has none or an unknown
 * one. A name that only equals an extension (`notes/html`, `src/c`, `.pdf`) has none.
 */
export function mimetypeOf(basename: string): string {
  return knownMimetype(basename) ?? 'application/octet-stream';
}

/** MIME type from the file name's extension, or undefined when it has none or an unknown one. */
export function knownMimetype(basename: string): string | undefined {
  const suffix = suffixOf(basename);
  return (suffix !== '' && lookup(suffix)) || undefined;
}

/** Splits `mount:path` into its mount name and path (no colon: the mount's root). */
export function splitFullpath(fullpath: string): { mount: string; path: string } {
  const colon = fullpath.indexOf(':');
  return colon < 0
    ? { mount: fullpath, path: '' }
    : { mount: fullpath.slice(0, colon), path: fullpath.slice(colon + 1) };
}
