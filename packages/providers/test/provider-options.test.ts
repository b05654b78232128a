import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ufsFailure } from '@org/core/testing';
import { fileSource, knownProviders, loadProvider, uploadFile } from '../src/index.js';
import { PROVIDER_OPTIONS, providerOptionProblems } from '../src/provider-options.js';
import { parseUploadConfig } from '../src/orchestrator/config.js';
import { randomFile, tempDir } from './helpers.js';

// Each provider's declared options: typos and wrong types inside providerOptions are refused by name, before any
// request (the providers named here are never reached: no server is needed, and none would be contacted).
let dir: string;
/** A catbox that answers nothing (a closed port): were the options accepted, the upload would fail UNAVAILABLE. */
const NOWHERE = { UFS_CATBOX_URL: 'http://127.0.0.1:9' };
let cleanup: () => Promise<void>;
let file: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ufs-popts-'));
  file = (await randomFile(dir, 'a.txt')).path;
});
afterAll(() => cleanup());

describe('provider options', () => {
  it('every registered provider declares its options (and only registered ones do)', () => {
    expect(Object.keys(PROVIDER_OPTIONS).sort()).toEqual(knownProviders().sort());
  });

  it.each([
    [{ s3: { bucket: 'x', prefx: 'shared/' } }, 'providerOptions.s3.prefx: unknown option (s3 takes: baseUrl, bucket'],
    [{ s3: { bukcet: 'x' } }, 'providerOptions.s3.bukcet: unknown option'],
    [
      { catbox: { usrhash: 'abc' } },
      'providerOptions.catbox.usrhash: unknown option (catbox takes: baseUrl, userhash)',
    ],
    [{ '0x0': { secret: 'yes' } }, 'providerOptions.0x0.secret: must be true or false, got "yes"'],
    [{ s3: { partSize: 'big' } }, 'providerOptions.s3.partSize: must be a whole number, got "big"'],
    [{ mount: { unique: 'middle' } }, 'providerOptions.mount.unique: must be true, false, "suffix" or "prefix"'],
  ])('in the config file %j: CONFIG_INVALID naming the key', async (providerOptions, message) => {
    const path = join(dir, 'upload.json');
    await writeFile(path, JSON.stringify({ providers: ['catbox'], providerOptions }));
    const error = await ufsFailure(uploadFile(file, { configFile: path, env: NOWHERE, maxAttempts: 1 }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(message);
    expect(error.message).toContain(`config "${path}"`);
    // The same given as a parsed config.
    expect(() => parseUploadConfig({ providerOptions })).toThrow(message);
  });

  it('in the options of a call: INVALID_INPUT naming the key and the known ones', async () => {
    const error = await ufsFailure(
      uploadFile(file, {
        providers: ['catbox'],
        env: NOWHERE,
        maxAttempts: 1,
        providerOptions: { s3: { bucket: 'x', prefx: 'shared/' } },
      }),
    );
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/^\[ufs\] option providerOptions\.s3\.prefx: unknown option \(s3 takes: .*prefix/);
    const typed = await ufsFailure(
      uploadFile(file, {
        providers: ['catbox'],
        env: NOWHERE,
        maxAttempts: 1,
        providerOptions: { '0x0': { secret: 'yes' } },
      }),
    );
    expect(typed.code).toBe('INVALID_INPUT');
    expect(typed.message).toContain('providerOptions.0x0.secret: must be true or false, got "yes"');
  });

  it('a provider called directly refuses them too (INVALID_INPUT), its call options (env, expire, …) aside', async () => {
    const catbox = await loadProvider('catbox');
    const source = await fileSource(file);
    const error = await ufsFailure(catbox.upload(source, { env: NOWHERE, timeoutMs: 1000, usrhash: 'abc' }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe(
      '[ufs] [catbox] upload "a.txt": option usrhash: unknown option (catbox takes: baseUrl, userhash)',
    );
    const s3 = await loadProvider('s3');
    const typed = await ufsFailure(s3.delete!({ url: 'http://x/a', deleteToken: 's3://b/a' }, { unique: 'yes' }));
    expect([typed.code, typed.message]).toEqual([
      'INVALID_INPUT',
      '[ufs] [s3] delete "http://x/a": option unique: must be true or false, got "yes"',
    ]);
  });

  it('accepts every documented option with its type', () => {
    expect(
      providerOptionProblems('s3', {
        bucket: 'b',
        prefix: 'p/',
        unique: true,
        url: 'public',
        partSize: '6291456',
        queueSize: 4,
        ifNotExists: false,
        baseUrl: 'http://127.0.0.1:1',
      }),
    ).toEqual([]);
    expect(
      providerOptionProblems('mount', {
        mounts: [],
        target: 'a:b',
        unique: 'prefix',
        expiresIn: '24h',
        urlMode: 'public',
      }),
    ).toEqual([]);
    expect(providerOptionProblems('dropbox', { uploadPath: '/x', force: true, chunkSize: 1024 })).toEqual([]);
    expect(providerOptionProblems('ufs', { apiKey: 'k', hostname: 'h', filepath: '/f', baseUrl: 'http://x' })).toEqual(
      [],
    );
  });
});
