import type { IncomingMessage } from 'node:http';
import type { FakeService, StoredFile } from './base.js';

/**
 * Stores a raw request body; undefined (after removing what was stored) when the body does not match its
 * Content-Length or none was declared.
 */
export async function storeRaw(fake: FakeService, req: IncomingMessage, name: string): Promise<StoredFile | undefined> {
  const declared = req.headers['content-length'];
  const file = await fake.store(req, name, req.headers['content-type'] ?? 'application/octet-stream');
  if (declared === undefined || Number(declared) !== file.size) {
    fake.files.delete(file.id);
    return undefined;
  }
  return file;
}

/** The last path segment, decoded. */
export function nameFrom(pathname: string): string {
  return decodeURIComponent(pathname.slice(pathname.lastIndexOf('/') + 1));
}
