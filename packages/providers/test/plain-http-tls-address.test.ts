import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ufsFailure } from '@org/core/testing';
import { uploadFile } from '../src/index.js';
import { plainHttpOptions, plainHttpServer, type PlainHttpServer } from './fakes/plain-http.js';
import { randomFile, tempDir } from './helpers.js';

// The advice for an `https://` address of a plain-HTTP server gives the whole address the user configured with
// `http://` (its path and query kept: following it must reach the same place), never a secret in it. A real local
// HTTP server, reached with `https://`.
let plain: PlainHttpServer;
let base: string;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  plain = await plainHttpServer(() => 'nothing here\n');
  base = new URL(plain.url).host;
  ({ dir, cleanup } = await tempDir('ufs-plain-http-address-'));
});
afterAll(async () => {
  await plain?.close();
  await cleanup?.();
});

const opts = plainHttpOptions;

describe('the http:// advice keeps the configured address whole', () => {
  it('UFS_SERVER with a path: the advice keeps /ufs', async () => {
    const file = await randomFile(dir, 'path.bin', 800);
    const error = await ufsFailure(
      uploadFile(file.path, opts({ providers: ['ufs'], env: { UFS_SERVER: `https://${base}/ufs`, UFS_API_KEY: 'k' } })),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(new RegExp(`give its URL as http://${base}/ufs$`, 'm'));
  });

  it('a base URL with a path and a token: path and query kept, the token not shown, and the advice says so', async () => {
    const file = await randomFile(dir, 'query.bin', 900);
    const error = await ufsFailure(
      uploadFile(file.path, opts({ providers: ['catbox'], env: { UFS_CATBOX_URL: `https://${base}/base?token=abc` } })),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(
      `give its URL as http://${base}/base?token=*** with your credentials in it (not shown here)`,
    );
    expect(error.message).not.toContain('abc');
  });

  it('user:password@ in the address: left out, and the advice says so', async () => {
    const file = await randomFile(dir, 'userinfo.bin', 700);
    const error = await ufsFailure(
      uploadFile(
        file.path,
        opts({ providers: ['ufs'], env: { UFS_SERVER: `https://bob:s3cret@${base}/ufs`, UFS_API_KEY: 'k' } }),
      ),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`give its URL as http://${base}/ufs with your credentials in it (not shown here)`);
    expect(error.message).not.toContain('s3cret');
  });
});
