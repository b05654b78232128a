import { describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { loadConfig, mongoDatabaseName, uriDatabase } from '../src/config.js';
import { storeOptions } from '../src/app.js';

describe('API configuration from env', () => {
  it('has embedded defaults', () => {
    expect(loadConfig({})).toMatchObject({
      UFS_PORT: 8000,
      UFS_HOST: '0.0.0.0',
      UFS_DATA_DIR: './ufs-data',
      UFS_RATE_LIMIT_PER_MINUTE: 60_000,
      UFS_PUBLIC_METRICS: false,
    });
    expect(loadConfig({}).UFS_MONGODB_URI).toBeUndefined();
    expect(loadConfig({}).UFS_SIGNING_SECRET).toBeUndefined();
    expect(loadConfig({ UFS_SIGNING_SECRET: 's'.repeat(32) }).UFS_SIGNING_SECRET).toBe('s'.repeat(32));
    expect(storeOptions(loadConfig({ UFS_DATA_DIR: '/srv/ufs' }))).toEqual({ sqlitePath: '/srv/ufs/ufs.db' });
  });

  it('reads and coerces values; a MongoDB URI selects the Mongo store', () => {
    const config = loadConfig({
      UFS_PORT: '9001',
      UFS_MONGODB_URI: 'mongodb://db:27017/ufs',
      UFS_MAX_UPLOAD_BYTES: '1024',
      UFS_PUBLIC_METRICS: 'true',
      UFS_GC_GRACE_SECONDS: '0',
    });
    expect(config.UFS_PORT).toBe(9001);
    expect(config.UFS_MAX_UPLOAD_BYTES).toBe(1024);
    expect(config.UFS_PUBLIC_METRICS).toBe(true);
    expect(config.UFS_GC_GRACE_SECONDS).toBe(0);
    // The URI names its database: no dbName, which would override it.
    expect(storeOptions(config)).toEqual({ mongoUri: 'mongodb://db:27017/ufs' });
  });

  it('MongoDB database: the one the URI names, else UFS_MONGODB_DB, else ufs; UFS_MONGODB_DB when set wins', () => {
    const mongo = (env: Record<string, string>) => storeOptions(loadConfig(env));
    expect(mongo({ UFS_MONGODB_URI: 'mongodb://h/prod' })).toEqual({ mongoUri: 'mongodb://h/prod' });
    expect(mongo({ UFS_MONGODB_URI: 'mongodb://h:27017' })).toEqual({ mongoUri: 'mongodb://h:27017', dbName: 'ufs' });
    expect(mongo({ UFS_MONGODB_URI: 'mongodb://h/?replicaSet=rs0', UFS_MONGODB_DB: 'cat' })).toEqual({
      mongoUri: 'mongodb://h/?replicaSet=rs0',
      dbName: 'cat',
    });
    expect(mongo({ UFS_MONGODB_URI: 'mongodb://h/prod', UFS_MONGODB_DB: 'other' })).toMatchObject({ dbName: 'other' });
    expect(loadConfig({}).UFS_MONGODB_DB).toBeUndefined();
    for (const [uri, db] of [
      ['mongodb://h', undefined],
      ['mongodb://h/', undefined],
      ['mongodb://h/?w=majority', undefined],
      ['mongodb+srv://u:p%2Fw@cluster.example.net/?retryWrites=true&appName=a@b', undefined],
      ['mongodb://u:p@h1:27017,h2:27017/prod?replicaSet=rs0', 'prod'],
      ['mongodb+srv://cluster.example.net/inventory', 'inventory'],
      ['mongodb://u:pa/ss@h/prod', 'prod'],
    ] as const) {
      expect([uri, uriDatabase(uri)]).toEqual([uri, db]);
      expect([uri, mongoDatabaseName(uri, undefined)]).toEqual([uri, db === undefined ? 'ufs' : undefined]);
    }
  });

  it('names every bad variable', () => {
    let error: unknown;
    try {
      loadConfig({
        UFS_PORT: 'eighty',
        UFS_MONGODB_URI: 'postgres://x',
        UFS_LOG_LEVEL: 'loud',
        UFS_RATE_LIMIT_PER_MINUTE: '-1',
        UFS_SIGNING_SECRET: 'short',
        UFS_TUS_CORS_ORIGIN: 'app.example',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UfsError);
    expect((error as UfsError).code).toBe('CONFIG_INVALID');
    expect((error as UfsError).message).toMatch(/UFS_PORT/);
    expect((error as UfsError).message).toMatch(/UFS_MONGODB_URI: must start with mongodb/);
    expect((error as UfsError).message).toMatch(/UFS_LOG_LEVEL/);
    expect((error as UfsError).message).toMatch(/UFS_RATE_LIMIT_PER_MINUTE/);
    expect((error as UfsError).message).toMatch(/UFS_SIGNING_SECRET: must be at least 16 characters/);
    expect((error as UfsError).message).toMatch(/; UFS_TUS_CORS_ORIGIN must be "\*" or origins like/);
  });

  it('readiness: UFS_READY_CACHE_MS, UFS_READY_TIMEOUT_MS, UFS_READY_CONTENT_PROBE, UFS_REPLICA_ID', () => {
    expect(loadConfig({})).toMatchObject({
      UFS_READY_CACHE_MS: 2000,
      UFS_READY_TIMEOUT_MS: 1000,
      UFS_READY_CONTENT_PROBE: false,
    });
    expect(loadConfig({}).UFS_REPLICA_ID).toBeUndefined();
    expect(
      loadConfig({
        UFS_READY_CACHE_MS: '0',
        UFS_READY_TIMEOUT_MS: '5000',
        UFS_READY_CONTENT_PROBE: 'yes',
        UFS_REPLICA_ID: 'api-7d9f-x2',
      }),
    ).toMatchObject({
      UFS_READY_CACHE_MS: 0,
      UFS_READY_TIMEOUT_MS: 5000,
      UFS_READY_CONTENT_PROBE: true,
      UFS_REPLICA_ID: 'api-7d9f-x2',
    });
    expect(() =>
      loadConfig({
        UFS_READY_CACHE_MS: '-5',
        UFS_READY_TIMEOUT_MS: '0',
        UFS_READY_CONTENT_PROBE: 'sometimes',
        UFS_REPLICA_ID: 'pod/1',
      }),
    ).toThrow(
      '[ufs] invalid API configuration: UFS_READY_CACHE_MS: must be 0 or more milliseconds; ' +
        'UFS_READY_TIMEOUT_MS: must be at least 1 millisecond; UFS_READY_CONTENT_PROBE: must be true or false; ' +
        'UFS_REPLICA_ID: must be 1 to 64 letters, digits, ".", "_" or "-"',
    );
    expect(() => loadConfig({ UFS_READY_CACHE_MS: '2.5s' })).toThrow(
      'UFS_READY_CACHE_MS: must be a whole number of milliseconds',
    );
  });

  it('UFS_TUS_CORS_ORIGIN: unset (no CORS), "*", or comma-separated origins; anything else named clearly', () => {
    expect(loadConfig({}).UFS_TUS_CORS_ORIGIN).toBeUndefined();
    expect(loadConfig({ UFS_TUS_CORS_ORIGIN: '*' }).UFS_TUS_CORS_ORIGIN).toBe('*');
    expect(
      loadConfig({ UFS_TUS_CORS_ORIGIN: 'https://app.example, http://localhost:5173,' }).UFS_TUS_CORS_ORIGIN,
    ).toEqual(['https://app.example', 'http://localhost:5173']);
    for (const [value, shown] of [
      ['app.example', '"app.example"'],
      ['https://app.example/path', '"https://app.example/path"'],
      ['https://ok.example,ftp://x', '"ftp://x"'],
      [' , ', '" , "'],
    ] as const) {
      expect(() => loadConfig({ UFS_TUS_CORS_ORIGIN: value })).toThrow(
        `[ufs] invalid API configuration: UFS_TUS_CORS_ORIGIN must be "*" or origins like "https://app.example" (got ${shown})`,
      );
    }
  });
});
