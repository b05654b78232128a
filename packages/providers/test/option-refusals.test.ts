import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ufsFailure } from '@org/core/testing';
import { fileSource, loadProvider, uploadFile, type UploadFileOptions } from '../src/index.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// Options refused before any request, as the caller's mistakes (INVALID_INPUT): a filename of "." or ".." (services
// put it in the URL path, where it names the folder: `PUT /`), an empty provider list given by the caller, a
// contentType that is no header value (a line break would start another header). Against the real fakes, which must
// see no request at all.
const harnesses: Record<string, Harness> = {};
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  for (const id of ['filebin', 'tempsh', 'sendit', 'catbox']) harnesses[id] = await HARNESSES[id]!();
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await Promise.all([...Object.values(harnesses).map((h) => h.stop()), cleanup()]);
});
afterEach(() => {
  for (const h of Object.values(harnesses)) h.fake.reset();
});

const env = () => Object.assign({}, ...Object.values(harnesses).map((h) => h.env)) as Record<string, string>;
const opts = (extra: UploadFileOptions): UploadFileOptions => ({ env: env(), retry: FAST_RETRY, ...extra });
const requests = () => Object.values(harnesses).reduce((n, h) => n + h.fake.requests.length, 0);

describe('filename "." and ".."', () => {
  it.each([
    ['filebin', '..'],
    ['tempsh', '.'],
    ['sendit', '..'],
  ])('uploadFile to %s with filename %j: INVALID_INPUT, nothing sent', async (provider, filename) => {
    const file = await randomFile(dir, 'a.txt', 100);
    const error = await ufsFailure(uploadFile(file.path, opts({ providers: provider, filename })));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe(
      `[ufs] option filename must be a file name other than "." or "..", got ${JSON.stringify(filename)}`,
    );
    expect(requests()).toBe(0);
  });

  it('a provider called directly refuses them too', async () => {
    const file = await randomFile(dir, 'b.txt', 100);
    const filebin = await loadProvider('filebin');
    for (const filename of ['.', '..']) {
      const error = await ufsFailure(filebin.upload({ ...(await fileSource(file.path)), filename }, { env: env() }));
      expect([error.code, error.message]).toEqual([
        'INVALID_INPUT',
        `[ufs] [filebin] upload "${filename}": the source's filename ${JSON.stringify(filename)} names a folder, not a file (use another name)`,
      ]);
    }
    expect(requests()).toBe(0);
    // Names that only contain dots are files.
    const result = await uploadFile(file.path, opts({ providers: 'filebin', filename: '...' }));
    expect((await download(result.url)).bytes.equals(file.bytes)).toBe(true);
  });
});

describe('an empty provider list', () => {
  it("the caller's (a list or a string): INVALID_INPUT; UFS_PROVIDERS': CONFIG_INVALID", async () => {
    const file = await randomFile(dir, 'c.txt', 100);
    for (const providers of [[], '', ' , ']) {
      const error = await ufsFailure(uploadFile(file.path, opts({ providers })));
      expect([error.code, error.message]).toEqual(['INVALID_INPUT', '[ufs] the provider list from options is empty']);
    }
    const fromEnv = await ufsFailure(uploadFile(file.path, { env: { ...env(), UFS_PROVIDERS: ',' } }));
    expect([fromEnv.code, fromEnv.message]).toEqual([
      'CONFIG_INVALID',
      '[ufs] the provider list from env UFS_PROVIDERS is empty',
    ]);
    expect(requests()).toBe(0);
  });
});

describe('contentType', () => {
  it('with a line break: INVALID_INPUT before any request (raw PUT and multipart alike)', async () => {
    const file = await randomFile(dir, 'd.txt', 100);
    for (const providers of ['tempsh', 'catbox']) {
      const error = await ufsFailure(uploadFile(file.path, opts({ providers, contentType: 'text/plain\r\nX: 1' })));
      expect([error.code, error.message]).toEqual([
        'INVALID_INPUT',
        '[ufs] option contentType must be a Content-Type of printable ASCII characters (such as "text/plain"), got "text/plain\\r\\nX: 1"',
      ]);
    }
    const tempsh = await loadProvider('tempsh');
    const direct = await ufsFailure(
      tempsh.upload({ ...(await fileSource(file.path)), contentType: 'text/plain\nX-Injected: 1' }, { env: env() }),
    );
    expect(direct.code).toBe('INVALID_INPUT');
    expect(direct.message).toMatch(
      /the source's contentType "text\/plain\\nX-Injected: 1" is not a valid Content-Type/,
    );
    expect(requests()).toBe(0);
  });

  it('a normal one is sent as given', async () => {
    const file = await randomFile(dir, 'e.txt', 100);
    const result = await uploadFile(file.path, opts({ providers: 'tempsh', contentType: 'text/plain; charset=utf-8' }));
    expect(result.url).toMatch(/^http/);
    expect(harnesses.tempsh!.fake.requests[0]!.headers['content-type']).toBe('text/plain; charset=utf-8');
  });
});
