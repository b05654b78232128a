// A content mount that is full (ENOSPC) is said as it is: 503 UNAVAILABLE "the server's content storage is full",
// `retryable: false` (an operator must make room first); a 5xx detail says "try again" only when `retryable` is true.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { errorResponse } from '../src/index.js';
import { serverFault } from '../src/http/server-fault.js';
import { sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

describe('a full content mount', () => {
  let dir: string;
  let server: TestServer | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-full-'));
    await mkdir(join(dir, 'content'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', join(dir, 'content')], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`cannot mount a small tmpfs to fill (needs root with CAP_SYS_ADMIN): ${String(err)}`);
    }
    server = await startServer({ dir });
  });
  afterAll(async () => {
    await server?.close();
    execFileSync('umount', [join(dir, 'content')]);
    await rm(dir, { recursive: true, force: true });
  });

  it('an upload that fills it: 503 "the server\'s content storage is full", retryable false', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024, 9);
    const res = await fetch(`${server!.url}/files/${sha256Of(data.toString())}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server!.key },
      body: data,
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      detail: "the server's content storage is full",
      code: 'UNAVAILABLE',
      retryable: false,
    });
  });

  it('the detail and the flag agree: "try again" only when retryable', () => {
    const full = serverFault(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), {
      backend: 'local',
      operation: 'write',
    });
    expect(errorResponse(full).body).toMatchObject({
      detail: "the server's content storage is full",
      retryable: false,
    });
    const store = new UfsError('UNAVAILABLE', '[ufs] [sqlite] put: database or disk is full', {
      cause: Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
      retryable: false,
      context: { backend: 'sqlite' },
    });
    expect(errorResponse(store).body).toMatchObject({ detail: "the server's metadata storage is full" });
    const stuck = new UfsError('UNAVAILABLE', '[ufs] [s3] write: gone', { retryable: false });
    expect(errorResponse(stuck).body.detail).not.toMatch(/try again/);
    expect(errorResponse(new UfsError('UNAVAILABLE', '[ufs] [s3] write: reset')).body).toMatchObject({
      detail: 'temporarily unavailable, try again',
      retryable: true,
    });
  });
});
