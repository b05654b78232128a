import { createHash, type Hash } from 'node:crypto';

const BLOCK = 4 * 1024 * 1024;

/** Dropbox's content_hash: SHA-256 over the SHA-256 digests of each 4 MiB block, fed chunk by chunk. */
export class DropboxContentHash {
  private readonly overall = createHash('sha256');
  private block: Hash = createHash('sha256');
  private filled = 0;

  update(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(BLOCK - this.filled, chunk.length - at);
      this.block.update(chunk.subarray(at, at + take));
      this.filled += take;
      at += take;
      if (this.filled === BLOCK) this.flush();
    }
  }

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
