// The shutdown timeout is the whole drain: the wait for handlers to settle once their connections are closed comes out
// of it, not on top of it (25 s + 5 s was Kubernetes' whole 30 s grace period, so a pod could be killed mid-settle).
// A server process whose tus PATCH handler never settles (its content write never ends) ends within the timeout.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBootstrapKey, SqliteStore } from '../src/index.js';
import { RawConnection, rawRequest } from './helpers/raw-http.js';
import { sha256Of } from './helpers/records.js';
import { tusClient } from './helpers/tus.js';

const SCRIPT = fileURLToPath(new URL('./helpers/stuck-write-child.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_MS = 2000;
/** Process exit, the store's close and the test's own polling. */
const MARGIN_MS = 1000;

describe('shutdown: the settle wait is part of shutdownTimeoutMs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-shutdown-budget-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('a PATCH handler that never settles: SIGTERM ends the process within the timeout', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dir], {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', UFS_CHILD_OPTIONS: JSON.stringify({ shutdownTimeoutMs: TIMEOUT_MS }) },
    });
    let output = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    let stuck!: () => void;
    const held = new Promise<void>((resolve) => (stuck = resolve));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child did not start:\n${output}`)), 120_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        output += `${line}\n`;
        const port = /^listening (\d+)/.exec(line)?.[1];
        if (port) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${port}`);
        }
        if (line === 'stuck') stuck();
      });
      void exited.then(() => reject(new Error(`the child ended:\n${output}`)));
    });
    try {
      const store = new SqliteStore({ path: join(dir, 'ufs.db') });
      const key = (await createBootstrapKey(store)).apiKey;
      await store.close();
      const data = Buffer.alloc(1_000_000, 5);
      const { location } = await tusClient(url, key).create(sha256Of(data.toString()), data.length);
      const connection = await RawConnection.open(url);
      await connection.write(
        rawRequest('PATCH', location!, {
          'X-API-Key': key,
          'Tus-Resumable': '1.0.0',
          'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': 0,
          'Content-Length': data.length,
        }) + data.subarray(0, 100_000).toString(),
      );
      await held;

      const signalled = Date.now();
      child.kill('SIGTERM');
      const end = await exited;
      // The drain (requests, then the handlers' settling) ends within the timeout; the process right after it.
      expect(end.at - signalled).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      expect(end.at - signalled).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
      expect(end).toMatchObject({ code: null, signal: 'SIGTERM' });
      expect(await connection.closedWithin(1000)).toBe(true);
      expect(output).toMatch(/requests still under way after 1000 ms: closing their connections/);
      expect(output).toMatch(/1 request handler\(s\) still under way \d+ ms after their connections closed/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 150_000);
});
