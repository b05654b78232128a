/**
 * The one-way dependency graph of ufs (ARCHITECTURE.md). A package may depend (in production code) only on the
 * workspace packages listed for it. Test-support packages may be used by any package's tests.
 */
export const ALLOWED_WORKSPACE_DEPS: Readonly<Record<string, readonly string[]>> = {
  '@org/core': [],
  '@org/storage': ['@org/core'],
  '@org/providers': ['@org/core', '@org/storage'],
  '@org/server': ['@org/core', '@org/storage'],
  '@org/cli': ['@org/core', '@org/storage', '@org/providers', '@org/server'],
  '@org/api': ['@org/core', '@org/storage', '@org/server'],
  '@org/web': ['@org/core'],
  '@org/storage-testing': ['@org/core'],
  '@org/test-services': [],
  '@org/repo-rules': [],
};

/** Packages only tests may import. */
export const TEST_SUPPORT_PACKAGES: readonly string[] = ['@org/test-services', '@org/storage-testing'];

/**
 * What `@org/core` may import besides Node built-ins: no cloud SDK, no framework. A schema library is allowed
 * (the dedup record is validated at run time).
 */
export const CORE_ALLOWED_EXTERNALS: readonly string[] = ['zod'];

/**
 * What each entry point must not load when it is imported (following its own modules' static value imports): these
 * are loaded on first use, through the package's checked-in lazy registry (`lazy.ts`, `registry.ts`), so that every
 * program importing the entry does not pay for them. Package → export subpath → packages; `'*'`: any package but
 * Node's own.
 */
export const LAZY_LOADED: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  // Every ufs command and hashing thread imports @org/core; zod is in '@org/core/dedup-schema'.
  '@org/core': { '.': ['*'] },
  // Backend SDKs load per configured protocol; YAML, diff and zip libraries on first use.
  '@org/storage': {
    '.': [
      '@aws-sdk/client-s3',
      '@aws-sdk/lib-storage',
      '@aws-sdk/s3-request-presigner',
      '@azure/storage-blob',
      '@google-cloud/storage',
      'dropbox',
      'ssh2-sftp-client',
      'webdav',
      'yaml',
      'diff',
      'yazl',
      'yauzl',
    ],
  },
  // A server on the embedded store never needs MongoDB; the MongoDB store is on '@org/server/mongo'.
  '@org/server': { '.': ['mongoose', 'mongodb', '@nestjs/mongoose'] },
};
