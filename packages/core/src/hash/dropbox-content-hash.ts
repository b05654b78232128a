import { createHash, type Hash } from 'node:crypto';

const BLOCK = 4 * 1024 * 1024;

/**
 * Dropbox's `content_hash`: SHA-256 over the concatenated SHA-256 digests of each 4 MiB block of the file, fed chunk
 * by chunk (https://www.dropbox.com/developers/reference/content-hash). `bytes` counts what was fed.
 */
export class DropboxContentHash {
  bytes = 0;
  private readonly overall = createHash('sha256');
  private block: Hash = createHash('sha256');
  private filled = 0;

  update(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    let at = 0;
    while (at < chunk.byteLength) {
      const take = Math.min(BLOCK - this.filled, chunk.byteLength - at);
      this.block.update(chunk.subarray(at, at + take));
      this.filled += take;
      at += take;
      if (this.filled === BLOCK) this.flush();
    }
  }

  /** The hex digest (call once). */
  digest(): string {
    if (this.filled > 0) this.flush();
    return this.overall.digest('hex');
  }

  private flush(): void {
    this.overall.update(this.block.digest());
    this.block = createHash('sha256');
    this.filled = 0;
  }
}
