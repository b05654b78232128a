import { describe, expect, it } from '@jest/globals';
import { NestFactory } from '@nestjs/core';
import { ufsFailure } from '@org/core/testing';
import { MemoryBackend } from '@org/storage';
import { freePort } from '@org/test-services';
import { DedupModule, createDedupApp, openStore } from '../src/index.js';

// No MongoDB is needed: these start the MongoDB store (loaded on demand, see src/lazy.ts) with a URI it cannot parse
// or against a port nobody listens on, the way an operator's typo or a database that is down would.

describe('a MongoDB store that no server answers', () => {
  it('openStore fails with UNAVAILABLE naming the host, never the password, after one attempt', async () => {
    const port = await freePort();
    const err = await ufsFailure(
      openStore({ mongoUri: `mongodb://bob:s3cret@127.0.0.1:${port}/ufs`, serverSelectionTimeoutMS: 300 }),
    );
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain(`[ufs] cannot reach MongoDB at mongodb://127.0.0.1:${port}/ufs: `);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain('s3cret');
  }, 8000);

  // @nestjs/mongoose's default (9 more attempts, 3 s apart) or ignoring the URI's timeout (10 s) would run past the
  // test's 8 s limit: the URI parameter and the single attempt are what this checks.
  it("the app (DedupModule.forRoot) honours the URI's serverSelectionTimeoutMS", async () => {
    const port = await freePort();
    const err = await ufsFailure(
      createDedupApp({
        store: { mongoUri: `mongodb://127.0.0.1:${port}/ufs?serverSelectionTimeoutMS=300` },
        content: new MemoryBackend({ mountName: 'content' }),
        logLevels: [],
      }),
    );
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
  }, 8000);

  it('DedupModule.forRootAsync with store "mongo" connects with the options its factory returns', async () => {
    const port = await freePort();
    const module = DedupModule.forRootAsync({
      store: 'mongo',
      useFactory: () => ({
        store: { mongoUri: `mongodb://127.0.0.1:${port}/ufs`, serverSelectionTimeoutMS: 300 },
        content: new MemoryBackend({ mountName: 'content' }),
      }),
    });
    const err = await ufsFailure(NestFactory.createApplicationContext(module, { logger: false, abortOnError: false }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
  }, 8000);
});

describe('a MongoDB URI the driver cannot parse', () => {
  it('fails with CONFIG_INVALID naming the URI without its password, and what is wrong', async () => {
    const cases: [string, string, RegExp][] = [
      ['postgres://bob:s3cret@db/ufs', 'postgres://db/ufs', /Invalid scheme/],
      ['mongodb://bob:s3cret@db/ufs?nonsense=1', 'mongodb://db/ufs?nonsense=1', /option nonsense is not supported/],
      ['mongodb://bob:s3c@ret@db/ufs', 'mongodb://db/ufs', /Invalid connection string/],
    ];
    for (const [uri, shown, why] of cases) {
      const err = await ufsFailure(openStore({ mongoUri: uri, serverSelectionTimeoutMS: 300 }));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.message).toContain(`[ufs] invalid MongoDB URI ${shown}: `);
      expect(err.message).toMatch(why);
      expect(err.message).not.toMatch(/s3c/);
    }
  }, 8000);
});
