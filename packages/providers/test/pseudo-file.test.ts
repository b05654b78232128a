import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UfsError } from '@org/core';
import { fileSource, uploadFile } from '../src/index.js';
import { tempDir } from './helpers.js';

// Files whose stat size is not their content's (/proc: 0, /sys: 4096) would be sent and verified with a wrong size:
// fileSource (and so uploadFile) refuses them with UNSUPPORTED and `context.pseudoFile` saying why, before any
// request (the CLI spools such a file first and uploads the copy).
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await cleanup();
});

async function refusal(promise: Promise<unknown>): Promise<UfsError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(UfsError);
  return error as UfsError;
}

describe('fileSource on pseudo files', () => {
  it('/proc/cpuinfo (stat size 0, content not empty) is refused, naming the file and why', async () => {
    const error = await refusal(fileSource('/proc/cpuinfo'));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toMatch(
      /^\[ufs\] upload "\/proc\/cpuinfo": cannot upload it as it stands: it is on the proc pseudo file system/,
    );
    expect(error.message).not.toContain('\n');
    expect(error.context.pseudoFile).toEqual(expect.any(String));
  });

  // Present wherever sysfs is mounted (every Linux machine these tests run on); stat says 4096 bytes, it holds a few.
  const sysFile = '/sys/devices/system/cpu/online';
  it('a /sys file (stat size 4096) is refused', async () => {
    const error = await refusal(fileSource(sysFile));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.context.pseudoFile).toContain('sysfs');
  });

  it('uploadFile refuses it before any provider is tried', async () => {
    const error = await refusal(
      uploadFile('/proc/cpuinfo', { providers: ['0x0'], env: { UFS_0X0_URL: 'http://127.0.0.1:1' } }),
    );
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.context.pseudoFile).toBeDefined();
  });

  it('regular files, empty ones included, are sources as before', async () => {
    const empty = join(dir, 'empty.txt');
    const full = join(dir, 'full.txt');
    await writeFile(empty, '');
    await writeFile(full, 'hello');
    expect((await fileSource(empty)).size).toBe(0);
    expect((await fileSource(full)).size).toBe(5);
  });
});
