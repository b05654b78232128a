// The azure backend on a failing network, with real sockets: against a TCP server that accepts connections and never
// answers, operations fail with TIMEOUT naming the server and the option (connectTimeoutMs / timeoutMs) instead of
// hanging; through a proxy that cuts the connection mid-download (Azurite behind it), a read fails with UNAVAILABLE
// (retryable), not with ABORTED as if the caller had aborted, while an abort of the caller's signal stays ABORTED.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import definition from '../src/backends/azure/index.js';
import { readAll, rejectsWith } from './helpers.js';
import { blackhole, cuttingProxy, settlesWithin } from './net-faults.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '@org/test-services';

const MiB = 1024 * 1024;
const azurite = await startAzurite();
const silent = await blackhole();
const container = `ufs-net-${randomBytes(4).toString('hex')}`;
const raw = new BlobServiceClient(
  azurite.blobEndpoint,
  new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
).getContainerClient(container);
await raw.create();
const big = randomBytes(12 * MiB);
await raw.getBlockBlobClient('big.bin').uploadData(big);
const port = Number(new URL(azurite.blobEndpoint).port);
const proxy = await cuttingProxy(port, 2 * MiB);
const opened: StorageBackend[] = [];

async function mount(endpoint: string, extra: Record<string, unknown> = {}): Promise<StorageBackend> {
  const options = definition.options.parse({
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    endpoint,
    container,
    ...extra,
  });
  const backend = await definition.create(options, { mountName: 'az', env: {} });
  opened.push(backend);
  return backend;
}

/** The blob service URL of Azurite with the port of `fault`. */
const through = (fault: { port: number }) => {
  const url = new URL(azurite.blobEndpoint);
  url.port = String(fault.port);
  return url.href.replace(/\/+$/, '');
};

afterAll(async () => {
  for (const backend of opened) await backend.dispose?.();
  await raw.delete().catch(() => {});
  await proxy.close();
  await silent.close();
  await azurite.stop();
}, 30_000);

describe('azure against a server that never answers', () => {
  it('stat fails with TIMEOUT after timeoutMs, naming the server and the option', async () => {
    const backend = await mount(through(silent), { timeoutMs: 200 });
    const pending = backend.stat('a.txt');
    expect(await settlesWithin(60_000, pending)).toBeLessThan(60_000);
    const error = await rejectsWith(pending, 'TIMEOUT');
    expect(error.message).toBe(
      `[ufs] [azure] stat "az:a.txt": no answer from http://127.0.0.1:${silent.port} for 200 ms (timeoutMs)`,
    );
    expect(error.retryable).toBe(true);
    expect(error.context.timeout).toBe('timeoutMs');
  }, 90_000);

  it('read fails with TIMEOUT too', async () => {
    const backend = await mount(through(silent), { timeoutMs: 200 });
    await rejectsWith(backend.read('a.txt'), 'TIMEOUT');
  }, 90_000);

  it('checks the options', () => {
    const base = { accountName: AZURITE_ACCOUNT, accountKey: AZURITE_KEY, container };
    expect(() => definition.options.parse({ ...base, timeoutMs: -5 })).toThrow('timeoutMs must be at least 0');
    expect(() => definition.options.parse({ container, containerClient: raw, connectTimeoutMs: 10 })).toThrow(
      'connectTimeoutMs cannot be combined with a ready containerClient',
    );
  });
});

describe('azure with the connection lost mid-download', () => {
  it('a read through a proxy that cuts the connection fails with UNAVAILABLE, retryable', async () => {
    const backend = await mount(through(proxy));
    const stream = await backend.read('big.bin');
    const error = await rejectsWith(readAll(stream), 'UNAVAILABLE');
    expect(error.message).toBe('[ufs] [azure] read "az:big.bin": the connection was lost before the transfer ended');
    expect(error.retryable).toBe(true);
    expect(proxy.cuts).toBeGreaterThan(0);
  }, 90_000);

  it('an abort of the caller’s signal mid-download is still ABORTED', async () => {
    const backend = await mount(azurite.blobEndpoint.replace(/\/+$/, ''));
    const controller = new AbortController();
    const stream = await backend.read('big.bin', { signal: controller.signal });
    const reading = readAll(stream);
    setTimeout(() => controller.abort(), 5);
    await rejectsWith(reading, 'ABORTED');
  }, 90_000);

  it('a whole read without faults gives every byte', async () => {
    const backend = await mount(azurite.blobEndpoint.replace(/\/+$/, ''), { timeoutMs: 1000 });
    expect((await readAll(await backend.read('big.bin'))).equals(big)).toBe(true);
  }, 90_000);
});
