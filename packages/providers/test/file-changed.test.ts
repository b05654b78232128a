import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { appendFile, open } from 'node:fs/promises';
import { ufsFailure } from '@org/core/testing';
import { uploadFile, type UploadEvent, type UploadFileOptions } from '../src/index.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

// A file written to while it is uploaded (a slow server: tempsh's fake stalls before reading the body) is the file's
// fault, not the provider's: INTEGRITY "the file changed while uploading", and no fallback to the next provider.
let tempsh: Harness;
let x0: Harness;
let dir: string;
let cleanup: () => Promise<void>;
let env: Record<string, string>;

const MiB = 1024 * 1024;
const SIZE = 32 * MiB; // far more than the socket buffers hold: most of it is read after the rewrite

/** Options that run `change` once, `afterMs` after the first upload attempt to tempsh began. */
function changingOpts(change: () => Promise<void>, afterMs: number, events: UploadEvent[]): UploadFileOptions {
  let changed: Promise<void> | undefined;
  return {
    env,
    retry: FAST_RETRY,
    maxAttempts: 1,
    providers: ['tempsh', '0x0'],
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'attempt' && event.provider === 'tempsh' && !changed) {
        changed = new Promise((resolve) => setTimeout(resolve, afterMs)).then(change);
      }
    },
  };
}

/** Overwrites the whole file in place with other bytes of the same size. */
async function rewriteInPlace(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(randomBytes(SIZE), 0, SIZE, 0);
  } finally {
    await handle.close();
  }
}

beforeAll(async () => {
  [tempsh, x0] = await Promise.all([HARNESSES.tempsh!(), HARNESSES['0x0']!()]);
  env = { ...tempsh.env, ...x0.env };
  ({ dir, cleanup } = await tempDir('ufs-changed-'));
});
afterAll(async () => {
  await Promise.all([tempsh.stop(), x0.stop(), cleanup()]);
});
afterEach(() => [tempsh, x0].forEach((h) => h.fake.reset()));

describe('a file that changes during its upload', () => {
  it('rewritten in place (same size): INTEGRITY "the file changed while uploading", no fallback', async () => {
    const file = await randomFile(dir, 'edited.bin', SIZE);
    tempsh.fake.stall(800);
    const events: UploadEvent[] = [];
    const error = await ufsFailure(
      uploadFile(
        file.path,
        changingOpts(() => rewriteInPlace(file.path), 100, events),
      ),
    );
    expect(error.code).toBe('INTEGRITY');
    expect(error.message).toMatch(/the file changed while uploading \(during the upload to tempsh\): it was modified/);
    expect(error.message).toMatch(/no other provider was tried/);
    expect(error.retryable).toBe(false);
    expect(x0.fake.uploads).toBe(0); // the next provider would only have failed the same way
    expect(events.filter((e) => e.type === 'attempt').map((e) => e.provider)).toEqual(['tempsh']);
    const [entry] = error.context.failures as Array<Record<string, unknown>>;
    expect(entry).toMatchObject({
      provider: 'tempsh',
      code: 'INTEGRITY',
      url: expect.stringContaining(tempsh.fake.url),
    });
    expect(entry!.reason).toMatch(/the file changed while uploading/);
  }, 60_000);

  it('grown while sent: the same error, no fallback', async () => {
    const file = await randomFile(dir, 'growing.log', SIZE);
    tempsh.fake.stall(800);
    const events: UploadEvent[] = [];
    const grow = () => appendFile(file.path, 'one more line\n');
    const error = await ufsFailure(uploadFile(file.path, changingOpts(grow, 100, events)));
    expect(error.code).toBe('INTEGRITY');
    expect(error.message).toMatch(/the file changed while uploading .*its size went from/);
    expect(x0.fake.uploads).toBe(0);
  }, 60_000);

  it('with verification off too: no URL is handed out for bytes that were not the ones hashed', async () => {
    const file = await randomFile(dir, 'unverified.bin', SIZE);
    tempsh.fake.stall(800);
    const events: UploadEvent[] = [];
    const options = { ...changingOpts(() => rewriteInPlace(file.path), 100, events), verify: false };
    const error = await ufsFailure(uploadFile(file.path, options));
    expect(error.code).toBe('INTEGRITY');
    expect(error.message).toMatch(/the file changed while uploading \(during the upload to tempsh\): it was modified/);
    expect(x0.fake.uploads).toBe(0);
  }, 60_000);

  it('an unchanged file whose copy is corrupted still falls back (the provider is to blame)', async () => {
    const file = await randomFile(dir, 'steady.bin', MiB);
    tempsh.fake.corruptDownloads();
    const result = await uploadFile(file.path, { env, retry: FAST_RETRY, providers: ['tempsh', '0x0'] });
    expect(result.provider).toBe('0x0');
    expect(result.report[0]).toMatchObject({ provider: 'tempsh', code: 'INTEGRITY' });
  });
});
