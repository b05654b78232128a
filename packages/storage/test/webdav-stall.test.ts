// The webdav backend's idle timeout (`timeoutMs`) after the response's headers: against a real server that answers
// and then stalls mid-body, stat and read fail with a retryable TIMEOUT naming the server and the option, instead of
// waiting forever (the `webdav` client's node-fetch clears the socket's timeout when the headers arrive).
import { afterAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import definition from '../src/backends/webdav/index.js';
import { readAll, rejectsWith } from './helpers.js';
import { settlesWithin } from './net-faults.js';
import { stallServer } from './stall-server.js';

const stall = await stallServer();
const opened: StorageBackend[] = [];

async function mount(extra: Record<string, unknown> = {}): Promise<StorageBackend> {
  const options = definition.options.parse({ url: `${stall.endpoint}/`, timeoutMs: 1500, ...extra });
  const backend = await definition.create(options, { mountName: 'dav', env: {} });
  opened.push(backend);
  return backend;
}

afterAll(async () => {
  for (const backend of opened) await backend.dispose?.();
  await stall.close();
}, 30_000);

describe('webdav against a server that stalls mid-body', () => {
  it('stat fails with TIMEOUT within about twice timeoutMs, naming the server and the option', async () => {
    const backend = await mount();
    const pending = backend.stat('a.txt');
    expect(await settlesWithin(3000, pending)).toBeGreaterThanOrEqual(1400);
    const error = await rejectsWith(pending, 'TIMEOUT');
    expect(error.message).toBe(
      `[ufs] [webdav] stat "dav:a.txt": no answer from ${stall.endpoint} for 1500 ms (timeoutMs)`,
    );
    expect(error.retryable).toBe(true);
    expect(error.context.timeout).toBe('timeoutMs');
  });

  it('a read fails with TIMEOUT once the body stops coming, and the connection is closed', async () => {
    const backend = await mount({ username: 'u', password: 'p', authType: 'basic' });
    const reading = backend.read('a.txt').then(readAll);
    expect(await settlesWithin(3000, reading)).toBeLessThan(3000);
    const error = await rejectsWith(reading, 'TIMEOUT');
    expect(error.message).toBe(
      `[ufs] [webdav] read "dav:a.txt": no answer from ${stall.endpoint} for 1500 ms (timeoutMs)`,
    );
    expect(error.retryable).toBe(true);
    const until = Date.now() + 2000;
    while (stall.open() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(stall.open()).toBe(0);
  });
});
