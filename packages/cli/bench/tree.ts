import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

export interface GeneratedTree {
  root: string;
  files: number;
  bytes: number;
  /** Files whose content repeats an earlier file's (the dedup the scan should find). */
  duplicates: number;
}

/** A small deterministic PRNG (mulberry32), so every run builds the same shape of tree. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes `files` files totalling about `totalBytes` under `root`, 100 files per folder, sizes log-uniform between
 * 1 KiB and 1 MiB scaled to the total. Every tenth file repeats the previous file's content; the others are distinct
 * (a unique header over a shared random block), so the scanner hashes real, varied data. Streams from one block:
 * the tree is never held in memory.
 */
export async function generateTree(root: string, files: number, totalBytes: number): Promise<GeneratedTree> {
  const random = prng(42);
  const raw = Array.from({ length: files }, () => 1024 * Math.pow(1024, random()));
  const scale = totalBytes / raw.reduce((a, b) => a + b, 0);
  const sizes = raw.map((s) => Math.max(1, Math.round(s * scale)));
  const block = randomBytes(Math.max(...sizes) + 64);
  let bytes = 0;
  let duplicates = 0;
  for (let i = 0; i < files; i++) {
    const folder = join(root, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) await mkdir(folder, { recursive: true });
    const duplicate = i % 10 === 9;
    const size = duplicate ? sizes[i - 1]! : sizes[i]!;
    const id = duplicate ? i - 1 : i;
    const handle = await open(join(folder, `f${i}.bin`), 'w');
    try {
      const header = Buffer.from(`ufs-bench-file-${id}:`);
      const body = Buffer.concat([header, block.subarray(id % 64, (id % 64) + size)]).subarray(0, size);
      await handle.write(body);
    } finally {
      await handle.close();
    }
    bytes += size;
    if (duplicate) duplicates++;
  }
  return { root, files, bytes, duplicates };
}
