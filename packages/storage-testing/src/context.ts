import { createCipheriv, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { hashStream, UfsError, type ErrorCode, type StorageBackend } from '@org/core';
import { expect } from '@jest/globals';

/** What a backend's test file hands to the contract suite. */
export interface ContractSetup {
  backend: StorageBackend;
  /** Called once after all tests (stop clients, remove temp folders). `dispose()` is called first anyway. */
  cleanup?: () => Promise<void>;
  /**
   * Existing content for backends that cannot write (http, base64, zip): key → bytes. Read tests use these.
   * Writable backends leave it out: the suite writes its own files.
   */
  fixtures?: Record<string, Buffer>;
}

export interface ContractOptions {
  /** Size of the streamed round-trip test. Default 24 MiB. */
  largeBytes?: number;
  /** Per-test timeout in ms. Default 60 s. */
  timeoutMs?: number;
}

export interface ContractContext {
  readonly backend: StorageBackend;
  readonly fixtures: Record<string, Buffer> | undefined;
  readonly options: Required<ContractOptions>;
  /** A unique folder for one test: `run-<id>/<n>` so tests never see each other's files. */
  folder(): string;
}

let counter = 0;
export function uniqueFolder(runId: string): string {
  counter += 1;
  return `contract-${runId}/t${counter}`;
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export async function put(backend: StorageBackend, key: string, content: Buffer | string): Promise<void> {
  await backend.write(key, Readable.from([Buffer.from(content)]), { size: Buffer.byteLength(content) });
}

export async function get(backend: StorageBackend, key: string, range?: { start?: number; end?: number }) {
  return readAll(await backend.read(key, range));
}

/**
 * A deterministic pseudo-random stream of `size` bytes (AES-CTR keystream of the seed), generated one chunk at a
 * time so that it is never whole in memory.
 */
export function generated(size: number, seed = 1): Readable {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed >>> 0);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1024 * 1024);
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(zeros.length, size - produced);
      produced += n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

export async function generatedDigest(size: number, seed = 1): Promise<string> {
  return (await hashStream(generated(size, seed))).digest;
}

/** Awaits a promise that must reject with a UfsError of one of the given codes. */
export async function expectUfsError(promise: Promise<unknown>, ...codes: ErrorCode[]): Promise<UfsError> {
  let error: unknown;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UfsError);
  if (codes.length > 0) expect(codes).toContain((error as UfsError).code);
  return error as UfsError;
}

/** Collects every entry of a listing, following cursors; fails on a cursor loop. */
export async function listAll(
  backend: StorageBackend,
  key: string,
  options: { recursive?: boolean; pageSize?: number } = {},
) {
  const entries = [];
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await backend.list(key, { ...options, cursor });
    entries.push(...page.entries);
    if (!page.cursor) return entries;
    expect(seen.has(page.cursor)).toBe(false);
    seen.add(page.cursor);
    cursor = page.cursor;
  }
  throw new Error('listing never ended');
}
