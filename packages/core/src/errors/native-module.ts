import { UfsError, type ErrorContext } from './ufs-error.js';

/**
 * CONFIG_INVALID when `err` says better-sqlite3's native addon cannot be loaded: its build script did not run (pnpm 10
 * runs no dependency build script it was not told to, `npm --ignore-scripts`) or it was built for another Node.js.
 * The bindings loader's own message lists every path it tried (2 KB); this one line says what to run instead. Used
 * where a SQLite file is opened: the server's store, the scan's cache.
 */
export function nativeModuleNotBuilt(err: unknown, context: ErrorContext): UfsError | undefined {
  const message = err instanceof Error ? err.message : '';
  const code = (err as { code?: unknown } | undefined)?.code;
  const missing = message.startsWith('Could not locate the bindings file');
  const mismatched = code === 'ERR_DLOPEN_FAILED' && message.includes('better_sqlite3.node');
  if (!missing && !mismatched) return undefined;
  return new UfsError(
    'CONFIG_INVALID',
    `[ufs] the native module better-sqlite3 is not built for this Node.js (${process.version}): run \`pnpm approve-builds\` or \`npm rebuild better-sqlite3\``,
    { cause: err, context },
  );
}
