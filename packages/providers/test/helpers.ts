import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashBytes } from '@org/core';

/** A fresh temp folder and its cleanup. */
export async function tempDir(prefix = 'ufs-providers-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `size` random bytes to `dir/name`; returns the path, bytes and SHA-256. */
export async function randomFile(
  dir: string,
  name: string,
  size = 4096,
): Promise<{ path: string; bytes: Buffer; sha256: string }> {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, bytes, sha256: hashBytes(bytes) };
}

/** A sparse file of `size` bytes (no disk used): for size-limit tests. */
export async function sparseFile(dir: string, name: string, size: number): Promise<string> {
  const path = join(dir, name);
  const handle = await open(path, 'w');
  await handle.truncate(size);
  await handle.close();
  return path;
}

/** Downloads a URL (following redirects) into memory: small test files only. */
export async function download(
  url: string,
  headers?: Record<string, string>,
): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(url, { redirect: 'follow', ...(headers ? { headers } : {}) });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Fast retries for tests: same policy shape, tiny delays. */
export const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 } as const;
