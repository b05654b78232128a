// The azure backend's idle timeout (`timeoutMs`) mid-download: against a real server that answers a download and then
// stalls mid-body, the read fails with a retryable TIMEOUT naming the server and the option (as s3 and gcs do), not
// with UNAVAILABLE as if the connection had been lost, and the connection is closed.
import { afterAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import definition from '../src/backends/azure/index.js';
import { readAll, rejectsWith } from './helpers.js';
import { settlesWithin } from './net-faults.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '@org/test-services';
import { stallServer } from './stall-server.js';

const stall = await stallServer(() => ({
  'content-type': 'application/octet-stream',
  etag: '"0x1"',
  'last-modified': new Date().toUTCString(),
  'x-ms-blob-type': 'BlockBlob',
  'x-ms-version': '2021-12-02',
}));
const opened: StorageBackend[] = [];

afterAll(async () => {
  for (const backend of opened) await backend.dispose?.();
  await stall.close();
}, 30_000);

describe('azure against a server that stalls mid-download', () => {
  it('a read fails with TIMEOUT naming the server and timeoutMs, and the connection is closed', async () => {
    const options = definition.options.parse({
      accountName: AZURITE_ACCOUNT,
      accountKey: AZURITE_KEY,
      endpoint: `${stall.endpoint}/${AZURITE_ACCOUNT}`,
      container: 'stalled',
      timeoutMs: 1500,
    });
    const backend = await definition.create(options, { mountName: 'az', env: {} });
    opened.push(backend);
    const reading = backend.read('a.txt').then(readAll);
    expect(await settlesWithin(4000, reading)).toBeLessThan(4000);
    const error = await rejectsWith(reading, 'TIMEOUT');
    expect(error.message).toBe(
      `[ufs] [azure] read "az:a.txt": no answer from ${stall.endpoint} for 1500 ms (timeoutMs)`,
    );
    expect(error.retryable).toBe(true);
    expect(error.context.timeout).toBe('timeoutMs');
    const until = Date.now() + 2000;
    while (stall.open() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(stall.open()).toBe(0);
  });
});
