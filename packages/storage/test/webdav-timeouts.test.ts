// The webdav backend's connect and idle timeouts: against a real TCP server on 127.0.0.1 that accepts connections
// and never answers, operations fail with TIMEOUT naming the server and the option instead of hanging; a real
// WebDAV server shows the idle timeout does not cut a download that keeps moving, and that the options are checked.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { createClient } from 'webdav';
import definition from '../src/backends/webdav/index.js';
import { readAll, rejectsWith } from './helpers.js';
import { blackhole, settlesWithin } from './net-faults.js';
import { startWebdavServer } from '@org/test-services';

const silent = await blackhole();
const server = await startWebdavServer('basic');
const opened: StorageBackend[] = [];

async function mount(url: string, extra: Record<string, unknown> = {}): Promise<StorageBackend> {
  const backend = await definition.create(definition.options.parse({ url, ...extra }), { mountName: 'dav', env: {} });
  opened.push(backend);
  return backend;
}

afterAll(async () => {
  for (const backend of opened) await backend.dispose?.();
  await silent.close();
  await server.stop();
}, 30_000);

describe('webdav against a server that never answers', () => {
  it('stat fails with TIMEOUT after timeoutMs, naming the server and the option', async () => {
    const backend = await mount(`${silent.endpoint}/dav/`, { timeoutMs: 300 });
    const started = Date.now();
    const error = await rejectsWith(backend.stat('a.txt'), 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.message).toBe(
      `[ufs] [webdav] stat "dav:a.txt": no answer from ${silent.endpoint} for 300 ms (timeoutMs)`,
    );
    expect(error.retryable).toBe(true);
    expect(error.context.timeout).toBe('timeoutMs');
  });

  it('read and list fail too', async () => {
    const backend = await mount(silent.endpoint, { timeoutMs: 200 });
    await rejectsWith(backend.read('a.txt'), 'TIMEOUT');
    await rejectsWith(backend.list(''), 'TIMEOUT');
  });

  it('0 turns the limit off (the request is still pending after the default would not have fired)', async () => {
    const backend = await mount(silent.endpoint, { timeoutMs: 0 });
    const controller = new AbortController();
    const pending = backend.stat('a.txt', { signal: controller.signal });
    await expect(settlesWithin(800, pending)).rejects.toThrow('still pending');
    controller.abort();
    await rejectsWith(pending, 'ABORTED');
  });
});

describe('webdav timeouts against a real server', () => {
  it('a download that keeps moving is not cut by a short idle timeout', async () => {
    const client = createClient(server.url, { username: server.username, password: server.password });
    const bytes = randomBytes(8 * 1024 * 1024);
    await client.putFileContents('/timeouts-big.bin', bytes);
    const backend = await mount(server.url, {
      username: server.username,
      password: server.password,
      timeoutMs: 300,
    });
    // Read slowly: several times timeoutMs in all, but never idle that long.
    const started = Date.now();
    const stream = await backend.read('timeouts-big.bin');
    const slow = Readable.from(
      (async function* () {
        let n = 0;
        for await (const chunk of stream) {
          if (++n % 4 === 0) await new Promise((r) => setTimeout(r, 100));
          yield chunk as Buffer;
        }
      })(),
    );
    const got = await readAll(slow);
    expect(got.equals(bytes)).toBe(true);
    expect(Date.now() - started).toBeGreaterThan(1000);
  });

  it('refuses a timeout that is not a whole number of milliseconds, and one combined with a ready client', () => {
    expect(() => definition.options.parse({ url: server.url, timeoutMs: -1 })).toThrow(
      'timeoutMs must be at least 0 (0 = no limit)',
    );
    expect(() => definition.options.parse({ url: server.url, connectTimeoutMs: 1.5 })).toThrow(
      'connectTimeoutMs must be a whole number of milliseconds',
    );
    expect(() => definition.options.parse({ client: createClient(server.url), timeoutMs: 1000 })).toThrow(
      'cannot be combined with a ready',
    );
    expect(definition.fromUrl!(new URL('webdav://h/p?timeoutMs=1000'))).toMatchObject({ timeoutMs: '1000' });
  });
});
