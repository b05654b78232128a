// better-sqlite3's native addon not built (pnpm 10 without approved builds, npm --ignore-scripts) or built for another
// Node.js: opening a SQLite file (the server's store, the scan's cache) says so in one line instead of the bindings
// loader's 2 KB list of paths.
import { describe, expect, it } from '@jest/globals';
import { nativeModuleNotBuilt, UfsError } from '../src/index.js';

const context = { backend: 'sqlite', operation: 'open' };

const hint = `the native module better-sqlite3 is not built for this Node.js (${process.version}): run \`pnpm approve-builds\` or \`npm rebuild better-sqlite3\``;

describe('nativeModuleNotBuilt', () => {
  it('turns the bindings loader\'s "Could not locate the bindings file" into one CONFIG_INVALID line', () => {
    const cause = new Error(
      'Could not locate the bindings file. Tried:\n → /app/node_modules/better-sqlite3/build/better_sqlite3.node\n → /app/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    );
    const err = nativeModuleNotBuilt(cause, context);
    expect(err).toBeInstanceOf(UfsError);
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.message).toBe(`[ufs] ${hint}`);
    expect(err?.cause).toBe(cause);
    expect(err?.context).toEqual(context);
  });

  it('says the same of an addon built for another Node.js', () => {
    const cause = Object.assign(
      new Error(
        "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 127. This version of Node.js requires\nNODE_MODULE_VERSION 115.",
      ),
      { code: 'ERR_DLOPEN_FAILED' },
    );
    expect(nativeModuleNotBuilt(cause, context)?.message).toBe(`[ufs] ${hint}`);
  });

  it('leaves every other error alone', () => {
    expect(
      nativeModuleNotBuilt(
        Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' }),
        context,
      ),
    ).toBeUndefined();
    expect(
      nativeModuleNotBuilt(Object.assign(new Error('libfoo.so: cannot open'), { code: 'ERR_DLOPEN_FAILED' }), context),
    ).toBeUndefined();
    expect(nativeModuleNotBuilt('a string', context)).toBeUndefined();
  });
});
