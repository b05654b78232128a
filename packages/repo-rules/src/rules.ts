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
