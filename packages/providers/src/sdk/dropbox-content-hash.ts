import { DropboxContentHash } from '@org/core';

/** Passes `source` through unchanged, feeding every chunk to `hash` on the way. */
export async function* hashedAsSent(
  source: AsyncIterable<Uint8Array>,
  hash: DropboxContentHash,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

/** The content hash of a whole stream (e.g. the file read again). */
export async function contentHashOf(source: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = new DropboxContentHash();
  for await (const chunk of source) hash.update(chunk);
  return hash.digest();
}
