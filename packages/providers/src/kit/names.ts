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
