import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from '@jest/globals';
import { UfsError } from '@org/core';
import { SqliteStore } from '../../src/index.js';

/**
 * A temp folder (named from `prefix`) made before the calling file's tests and removed after them: call at the top
 * of a test file; the function returned gives its path once made.
 */
export function tempFolder(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => dir!;
}

/** The error of opening a store at `path` (fails the test when it opens). */
export function openError(path: string): UfsError {
  try {
    new SqliteStore({ path });
  } catch (err) {
    expect(err).toBeInstanceOf(UfsError);
    return err as UfsError;
  }
  throw new Error(`the store at ${path} opened`);
}
