import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { isUfsError, type ProviderInfo, type UfsError } from '@org/core';
import { loadProvider, uploadFile, type UploadEvent, type UploadFileOptions } from '../../src/index.js';
import type { Harness } from '../fakes/index.js';
import { FAST_RETRY, download, randomFile, sparseFile, tempDir } from '../helpers.js';

async function failure(promise: Promise<unknown>): Promise<UfsError> {
  try {
    await promise;
  } catch (err) {
    if (isUfsError(err)) return err;
    throw err;
  }
  throw new Error('expected the upload to fail, it succeeded');
}

/**
 * The one contract every upload provider passes, against its local server (or, for S3, a real radosgw behind a
 * fault proxy): exact bytes served, each error class, retry, fallback, verification, size limit, timeout, abort.
 * `backup` is another provider's harness, used as the fallback target.
 */
export interface ContractOptions {
  /** The server can answer a 2xx without a URL (a real S3 cannot: the client makes the URL). Default true. */
  answersWithoutUrl?: boolean;
  /** Headers the URL needs to serve (the ufs server's content route needs `X-API-Key`). Default none. */
  downloadHeaders?: (h: Harness) => Record<string, string>;
}

/** Limits a sparse file can exceed here without wasting disk. */
const SPARSE_LIMIT = 64 * 1024 ** 3;

export function providerContract(
  info: ProviderInfo,
  startHarness: () => Promise<Harness>,
  startBackup: () => Promise<Harness>,
  contract: ContractOptions = {},
): void {
  const { id, maxSize } = info;
  const singleDownload = info.capabilities.singleDownload;
  describe(`provider contract: ${id}`, () => {
    let h: Harness;
    let backup: Harness;
    let dir: string;
    let cleanup: () => Promise<void>;

    const options = (extra: UploadFileOptions = {}): UploadFileOptions => ({
      providers: [id],
      env: { ...h.env, ...backup.env },
      providerOptions: { [id]: h.providerOptions, [backup.id]: backup.providerOptions },
      retry: FAST_RETRY,
      ...extra,
    });

    beforeAll(async () => {
      [h, backup] = await Promise.all([startHarness(), startBackup()]);
      ({ dir, cleanup } = await tempDir(`ufs-contract-${id}-`));
    });
    afterAll(async () => {
      await Promise.all([h?.stop(), backup?.stop(), cleanup?.()]);
    });
    afterEach(() => {
      h.fake.reset();
      backup.fake.reset();
    });

    it('uploads, reports progress, and the URL serves the exact bytes', async () => {
      const file = await randomFile(dir, 'hello world.txt', 70_000);
      const progress: number[] = [];
      const result = await uploadFile(
        file.path,
        options({ onProgress: (e) => e.phase === 'upload' && progress.push(e.loaded) }),
      );
      expect(result.provider).toBe(id);
      expect(result.url).toMatch(/^https?:\/\/\S+$/);
      expect(result.size).toBe(70_000);
      expect(result.sha256).toBe(file.sha256);
      expect(result.timings.uploadMs).toBeGreaterThanOrEqual(0);
      expect(result.timings.readMs).toBeGreaterThanOrEqual(0);
      expect(progress.at(-1)).toBe(70_000);
      if (singleDownload) {
        expect(result.verified).toBe(false);
        expect(result.verifySkipped).toMatch(/once/);
      } else {
        expect(result.verified).toBe(true);
        expect(result.timings.verifyMs).toBeGreaterThanOrEqual(0);
      }
      const served = await download(result.url, contract.downloadHeaders?.(h));
      expect(served.status).toBe(200);
      expect(served.bytes.equals(file.bytes)).toBe(true);
    });

    it('400 is permanent: no retry, INVALID_INPUT', async () => {
      const file = await randomFile(dir, 'bad.bin');
      h.fake.fail(400);
      const error = await failure(uploadFile(file.path, options()));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(id);
      expect(h.fake.uploads).toBe(1);
    });

    it('429 with Retry-After is retried after the stated wait, then succeeds', async () => {
      const file = await randomFile(dir, 'limited.bin');
      h.fake.fail(429, { retryAfter: '0.2' });
      const events: UploadEvent[] = [];
      const started = Date.now();
      const result = await uploadFile(file.path, options({ onEvent: (e) => events.push(e) }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(result.provider).toBe(id);
      expect(result.report.at(-1)).toMatchObject({ provider: id, outcome: 'success', attempts: 2 });
      const retryEvent = events.find((e) => e.type === 'retry');
      expect(retryEvent).toMatchObject({ type: 'retry', delayMs: 200 });
      expect(h.fake.uploads).toBe(2);
    });

    it('503 is retried, then succeeds', async () => {
      const file = await randomFile(dir, 'busy.bin');
      h.fake.fail(503);
      const result = await uploadFile(file.path, options());
      expect(result.report.at(-1)).toMatchObject({ outcome: 'success', attempts: 2 });
      expect(h.fake.uploads).toBe(2);
    });

    it('a retryable error that persists fails after maxAttempts', async () => {
      const file = await randomFile(dir, 'down.bin');
      h.fake.fail(502, { times: 5 });
      const error = await failure(uploadFile(file.path, options({ maxAttempts: 3 })));
      expect(error.code).toBe('UNAVAILABLE');
      expect(h.fake.uploads).toBe(3);
    });

    if (contract.answersWithoutUrl !== false) {
      it('a 2xx without a URL is a failure, never an empty URL', async () => {
        const file = await randomFile(dir, 'empty.bin');
        h.fake.answerWithoutUrl();
        const error = await failure(uploadFile(file.path, options()));
        expect(error.code).toBe('UNEXPECTED');
        expect(error.message).toMatch(/no URL/i);
        expect(error.retryable).toBe(false);
      });
    }

    it('falls back to the next provider after a failure, and reports why', async () => {
      const file = await randomFile(dir, 'fallback.bin');
      h.fake.fail(403);
      const result = await uploadFile(file.path, options({ providers: [id, backup.id] }));
      expect(result.provider).toBe(backup.id);
      expect(result.report[0]).toMatchObject({
        provider: id,
        outcome: 'failed',
        code: 'PERMISSION_DENIED',
        attempts: 1,
      });
      expect(result.report[0]!.reason).toContain('403');
      expect((await download(result.url)).bytes.equals(file.bytes)).toBe(true);
    });

    it('fragile stops at the first failure', async () => {
      const file = await randomFile(dir, 'fragile.bin');
      h.fake.fail(400);
      const error = await failure(uploadFile(file.path, options({ providers: [id, backup.id], fragile: true })));
      expect(error.message).toMatch(/fragile/);
      expect(backup.fake.uploads).toBe(0);
    });

    if (singleDownload) {
      it('single download: verification is skipped with the reason, so the one download stays for the user', async () => {
        const file = await randomFile(dir, 'once.bin', 10_000);
        h.fake.corruptDownloads();
        const result = await uploadFile(file.path, options({ providers: [id, backup.id] }));
        expect(result.provider).toBe(id);
        expect(result.verified).toBe(false);
        expect(result.verifySkipped).toMatch(/once/);
        const stored = [...h.fake.files.values()].filter((f) => f.size === 10_000);
        expect(stored).toHaveLength(1);
        expect(stored[0]!.downloads).toBe(0);
      });
    } else {
      it('a URL that serves other bytes fails verification (INTEGRITY) and falls back', async () => {
        const file = await randomFile(dir, 'verify.bin', 10_000);
        h.fake.corruptDownloads();
        const result = await uploadFile(file.path, options({ providers: [id, backup.id] }));
        expect(result.provider).toBe(backup.id);
        expect(result.report[0]).toMatchObject({ provider: id, outcome: 'failed', code: 'INTEGRITY' });
        expect(result.report[0]!.reason).toContain(file.sha256);
      });
    }

    if (maxSize !== undefined && maxSize <= SPARSE_LIMIT) {
      it('a file over the size limit is skipped with the reason, before any request', async () => {
        const path = await sparseFile(dir, 'huge.bin', maxSize + 1);
        const error = await failure(uploadFile(path, options()));
        expect(error.code).toBe('TOO_LARGE');
        expect(error.message).toMatch(/over the .* limit/);
        expect(h.fake.uploads).toBe(0);
        const provider = await loadProvider(id);
        const direct = await failure(
          provider.upload(
            {
              filename: 'huge.bin',
              size: maxSize + 1,
              open: () => {
                throw new Error('must not be read');
              },
            },
            { env: h.env },
          ),
        );
        expect(direct.code).toBe('TOO_LARGE');
      });
    }

    it('a server that does not answer in time is a TIMEOUT', async () => {
      const file = await randomFile(dir, 'slow.bin');
      h.fake.stall(3000);
      const started = Date.now();
      const error = await failure(uploadFile(file.path, options({ timeoutMs: 300, maxAttempts: 1 })));
      expect(error.code).toBe('TIMEOUT');
      expect(error.retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(2500);
    });

    it('abort stops the upload at once, with no fallback', async () => {
      const file = await randomFile(dir, 'abort.bin');
      h.fake.stall(3000);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 150);
      const started = Date.now();
      const error = await failure(
        uploadFile(file.path, options({ providers: [id, backup.id], signal: controller.signal })),
      );
      expect(error.code).toBe('ABORTED');
      expect(Date.now() - started).toBeLessThan(2500);
      expect(backup.fake.uploads).toBe(0);
    });
  });
}
