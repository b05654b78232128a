// better-sqlite3's native addon not built (pnpm 10 without approved builds, npm --ignore-scripts) or built for another
// Node.js: opening the scan cache says so in one line instead of the bindings loader's 2 KB list of paths.
import { describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { nativeModuleNotBuilt } from '../src/scan/native-module.js';

const hint = `the native module better-sqlite3 is not built for this Node.js (${process.version}): run \`pnpm approve-builds\` or \`npm rebuild better-sqlite3\``;

describe('nativeModuleNotBuilt', () => {
  it('turns the bindings loader\'s "Could not locate the bindings file" into one CONFIG_INVALID line', () => {
    const cause = new Error(
      'Could not locate the bindings file. Tried:\n → /app/node_modules/better-sqlite3/build/better_sqlite3.node\n → /app/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    );
    const err = nativeModuleNotBuilt(cause);
    expect(err).toBeInstanceOf(UfsError);
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.message).toBe(`[ufs] ${hint}`);
    expect(err?.cause).toBe(cause);
  });

  it('says the same of an addon built for another Node.js', () => {
    const cause = Object.assign(
      new Error(
        "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 127. This version of Node.js requires\nNODE_MODULE_VERSION 115.",
      ),
      { code: 'ERR_DLOPEN_FAILED' },
    );
    expect(nativeModuleNotBuilt(cause)?.message).toBe(`[ufs] ${hint}`);
  });

  it('leaves every other error alone', () => {
    expect(
      nativeModuleNotBuilt(Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' })),
    ).toBeUndefined();
    expect(
      nativeModuleNotBuilt(Object.assign(new Error('libfoo.so: cannot open'), { code: 'ERR_DLOPEN_FAILED' })),
    ).toBeUndefined();
    expect(nativeModuleNotBuilt('a string')).toBeUndefined();
  });
});
