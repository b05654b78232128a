import { describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { UfsError } from '@org/core';
import {
  DEFAULT_PROVIDERS,
  PROVIDER_LOADERS,
  assertKnownProviders,
  knownProviders,
  listProviders,
  loadProvider,
} from '../src/index.js';
import { HARNESSES } from './fakes/index.js';

const providersDir = fileURLToPath(new URL('../src/providers/', import.meta.url));

describe('registry', () => {
  it('lists exactly the provider files in src/providers', async () => {
    const files = (await readdir(providersDir)).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
    expect(knownProviders().sort()).toEqual(files.sort());
  });

  it('each provider declares its info truthfully: id = registry key, env names its base URL, auth matches status', async () => {
    for (const id of knownProviders()) {
      const provider = await PROVIDER_LOADERS[id]!();
      expect(provider.info.id).toBe(id);
      expect(provider.info.retention.length).toBeGreaterThan(0);
      expect(provider.info.capabilities.streaming).toBe(true);
      // Choices are listed where the service has a fixed list; 0x0 takes any number of hours (no list: "any").
      if (provider.info.expiryChoices !== undefined) expect(provider.info.expiryChoices.length).toBeGreaterThan(0);
      if (!provider.info.capabilities.expiry) expect(provider.info.expiryChoices).toBeUndefined();
      if (id === '0x0')
        expect([provider.info.capabilities.expiry, provider.info.expiryChoices]).toEqual([true, undefined]);
      expect(typeof provider.delete === 'function').toBe(provider.info.capabilities.delete);
      const ready = provider.status({}).ready;
      expect(ready).toBe(provider.info.auth !== 'required');
      // s3 and mount have no service URL (the bucket, the mounts say where); ufs's base URL is UFS_SERVER.
      if (id === 'ufs') expect(provider.info.env).toContain('UFS_SERVER');
      else if (id !== 's3' && id !== 'mount')
        expect(provider.info.env.some((name) => /^UFS_[A-Z0-9]+_URL$/.test(name))).toBe(true);
    }
  });

  it('every provider has a local server in the tests (s3 and mount use radosgw, ufs a real dedup server)', () => {
    expect([...Object.keys(HARNESSES), 's3', 'mount', 'ufs'].sort()).toEqual(knownProviders().sort());
  });

  it("an unknown id from the caller (options, a command's arguments) is INVALID_INPUT, from configuration CONFIG_INVALID", () => {
    const codeOf = (call: () => void) => {
      try {
        call();
      } catch (err) {
        return [(err as UfsError).code, (err as UfsError).message];
      }
      return undefined;
    };
    const known = `known providers: ${knownProviders().join(', ')}`;
    expect(codeOf(() => assertKnownProviders(['nope'], 'arguments'))).toEqual([
      'INVALID_INPUT',
      `[ufs] unknown provider "nope" in arguments; ${known}`,
    ]);
    expect(codeOf(() => assertKnownProviders(['nope', 'catbox'], 'options'))?.[0]).toBe('INVALID_INPUT');
    expect(codeOf(() => assertKnownProviders(['nope'], 'config'))?.[0]).toBe('CONFIG_INVALID');
    expect(codeOf(() => assertKnownProviders(['nope'], 'env UFS_PROVIDERS'))?.[0]).toBe('CONFIG_INVALID');
    expect(codeOf(() => assertKnownProviders(['nope']))?.[0]).toBe('CONFIG_INVALID');
    expect(codeOf(() => assertKnownProviders(['nope'], 'providerOptions', 'input'))?.[0]).toBe('INVALID_INPUT');
    expect(codeOf(() => assertKnownProviders(['catbox'], 'arguments'))).toBeUndefined();
  });

  it('defaults are known, need no account, and are not single-download', async () => {
    for (const id of DEFAULT_PROVIDERS) {
      const { info } = await loadProvider(id);
      expect(info.auth).not.toBe('required');
      expect(info.capabilities.singleDownload).toBe(false);
    }
  });

  it('provider modules import no SDK (only src/sdk/* do, loaded on first upload), so listing stays light', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const file of await readdir(providersDir)) {
      const text = await readFile(`${providersDir}${file}`, 'utf8');
      expect({ file, sdkImport: /from '(@aws-sdk\/[^']+|dropbox)'/.test(text) }).toEqual({ file, sdkImport: false });
    }
    expect((await listProviders()).map((i) => i.id)).toEqual(knownProviders());
  });
});
