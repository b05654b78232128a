import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from '@jest/globals';
import { UfsError, type ErrorCode } from '@org/core';
import type { StorageLogger } from '../src/index.js';

/** A fresh temporary folder per test, removed by `cleanup`. */
export async function tempDir(prefix = 'ufs-storage-test-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Awaits a promise that must reject with a UfsError of the given code; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<UfsError> {
  let error: unknown;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UfsError);
  expect((error as UfsError).code).toBe(code);
  return error as UfsError;
}

/** A synchronous call that must throw a UfsError of the given code. */
export function throwsWith(run: () => unknown, code: ErrorCode): UfsError {
  let error: unknown;
  try {
    run();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UfsError);
  expect((error as UfsError).code).toBe(code);
  return error as UfsError;
}

/** Every file and folder below `dir`, relative, sorted (for before/after comparisons). */
export async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

export async function drain(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

export async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export interface Warning {
  message: string;
  fields?: Record<string, unknown>;
}

/** A storage logger that keeps the warnings it gets (debug and info lines are dropped), for tests to assert on. */
export function warningLogger(): { logger: StorageLogger; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const logger: StorageLogger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message, fields) => void warnings.push({ message, fields }),
  };
  return { logger, warnings };
}
