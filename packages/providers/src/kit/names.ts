import { randomBytes } from 'node:crypto';
import { extname } from 'node:path';

/** `photo.jpg` → `photo-3f9a1c2b.jpg`: a random suffix before the extension, so uploads never collide. */
export function uniqueName(filename: string): string {
  const ext = extname(filename);
  const stem = ext ? filename.slice(0, -ext.length) : filename;
  return `${stem}-${randomBytes(4).toString('hex')}${ext}`;
}

/** A key as a URL path: each segment percent-encoded, slashes kept. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/**
 * `.` or `..`: a name services put in the URL path (`PUT /<name>`) would then name the folder or its parent (the
 * URL parser resolves them: `PUT /`), not a file.
 */
export function isDotName(filename: string): boolean {
  return filename === '.' || filename === '..';
}

/**
 * Whether a value can be sent as a header (a Content-Type): printable ASCII, spaces and tabs. A line break would end
 * the header and start another, in the request or in a multipart part's headers.
 */
export function isHeaderValue(value: string): boolean {
  return /^[\t\x20-\x7e]+$/.test(value);
}
