import { UfsError } from '@org/core';
import type { Provider } from './types.js';

type Loader<T> = () => Promise<T>;

/**
 * The checked-in registry of upload providers, by id. Each entry loads its module only when that provider is
 * used; a test checks this list against the files in `providers/`. Order here is the order of `listProviders()`.
 */
export const PROVIDER_LOADERS: Readonly<Record<string, Loader<Provider>>> = Object.freeze({
  catbox: async () => (await import('./providers/catbox.js')).default,
  litterbox: async () => (await import('./providers/litterbox.js')).default,
  '0x0': async () => (await import('./providers/0x0.js')).default,
  x0at: async () => (await import('./providers/x0at.js')).default,
  uguu: async () => (await import('./providers/uguu.js')).default,
  tmpfiles: async () => (await import('./providers/tmpfiles.js')).default,
  tmpfilelink: async () => (await import('./providers/tmpfilelink.js')).default,
  sendit: async () => (await import('./providers/sendit.js')).default,
  tempsh: async () => (await import('./providers/tempsh.js')).default,
  pixeldrain: async () => (await import('./providers/pixeldrain.js')).default,
  filebin: async () => (await import('./providers/filebin.js')).default,
  fal: async () => (await import('./providers/fal.js')).default,
  s3: async () => (await import('./providers/s3.js')).default,
  dropbox: async () => (await import('./providers/dropbox.js')).default,
  mount: async () => (await import('./providers/mount.js')).default,
  ufs: async () => (await import('./providers/ufs.js')).default,
});

/**
 * The SDK-backed halves of providers, loaded on first upload (so listing providers or checking their status
 * never loads the AWS or Dropbox SDK, nor `@org/storage`).
 */
export const SDK_LOADERS = Object.freeze({
  s3: () => import('./sdk/s3.js'),
  dropbox: () => import('./sdk/dropbox.js'),
  storage: () => import('./sdk/storage.js'),
});

/**
 * Providers tried when neither options, `UFS_PROVIDERS` nor a config file name any: the ones that need no account
 * and serve more than one download, most durable first.
 */
export const DEFAULT_PROVIDERS: readonly string[] = Object.freeze([
  'catbox',
  '0x0',
  'x0at',
  'tempsh',
  'filebin',
  'litterbox',
  'tmpfilelink',
  'uguu',
  'tmpfiles',
]);

export function knownProviders(): string[] {
  return Object.keys(PROVIDER_LOADERS);
}

export function isKnownProvider(id: string): boolean {
  return Object.hasOwn(PROVIDER_LOADERS, id);
}

/**
 * Where provider ids given by a caller come from (the options of a call, a command's arguments): an unknown one there
 * is a usage error, INVALID_INPUT (exit 64), not a broken configuration.
 */
const INPUT_SOURCES: readonly string[] = ['options', 'arguments'];

/**
 * Throws for ids that are not registered, listing the known ones: INVALID_INPUT when they came from the caller
 * (`source` `input`; by default when `where` is `options` or `arguments`), else CONFIG_INVALID (a config file, the
 * environment: `config`, `env UFS_PROVIDERS`, …).
 */
export function assertKnownProviders(
  ids: readonly string[],
  where = 'providers',
  source: 'input' | 'config' = INPUT_SOURCES.includes(where) ? 'input' : 'config',
): void {
  const unknown = ids.filter((id) => !isKnownProvider(id));
  if (unknown.length > 0) {
    throw new UfsError(
      source === 'input' ? 'INVALID_INPUT' : 'CONFIG_INVALID',
      `[ufs] unknown provider${unknown.length > 1 ? 's' : ''} ${unknown.map((id) => JSON.stringify(id)).join(', ')} in ${where}; known providers: ${knownProviders().join(', ')}`,
      { context: { operation: 'configure', unknown } },
    );
  }
}

/**
 * Loads a provider by id; an unknown id is INVALID_INPUT listing the known ones: the id is the caller's (of
 * `loadProvider`, `providerStatus`, `checkOnline`), the ones from a config are checked before they get here.
 */
export async function loadProvider(id: string): Promise<Provider> {
  assertKnownProviders([id], 'providers', 'input');
  return PROVIDER_LOADERS[id]!();
}

/** Every registered provider, in registry order. */
export async function loadAllProviders(): Promise<Provider[]> {
  const providers: Provider[] = [];
  for (const id of knownProviders()) providers.push(await PROVIDER_LOADERS[id]!());
  return providers;
}
