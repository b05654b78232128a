// An answer whose headers are over what Node.js reads (undici's HeadersOverflowError): one line naming the limit, not
// undici's "Headers Overflow Error", and not retried (the same answer would come again).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { maxHeaderSize } from 'node:http';
import { ufsFailure } from '@org/core/testing';
import { uploadFile } from '../src/index.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

let tempsh: Harness;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  tempsh = await HARNESSES.tempsh!();
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await Promise.all([tempsh.stop(), cleanup()]);
});

describe('answer headers over the limit', () => {
  it('UNEXPECTED naming the limit (16 KiB), tried once', async () => {
    expect(maxHeaderSize).toBe(16_384);
    const file = await randomFile(dir, 'big-headers.bin', 100);
    let answers = 0;
    tempsh.fake.answerUploads((res, _stored, url) => {
      answers++;
      res.writeHead(200, { 'content-type': 'text/plain', 'x-big': 'a'.repeat(100_000) });
      res.end(`${url}\n`);
    });
    const error = await ufsFailure(
      uploadFile(file.path, { providers: 'tempsh', env: tempsh.env, retry: FAST_RETRY, maxAttempts: 3 }),
    );
    expect(error.code).toBe('UNEXPECTED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(
      `[ufs] [tempsh] upload "big-headers.bin": the service's answer headers are larger than 16 KiB`,
    );
    expect(error.message).not.toMatch(/Headers Overflow/i);
    expect(answers).toBe(1);
  });
});
