import { describe, expect, test } from '@jest/globals';
import {
  mongoBanner,
  mongoTestUri,
  parseServiceNames,
  redactUri,
  S3_ENV,
  s3Env,
  s3FromEnv,
  servicesEnv,
  wantedServices,
  type RunningService,
  type S3Endpoint,
} from '../src/index.js';

const s3: S3Endpoint = {
  endpoint: 'http://127.0.0.1:12345',
  region: 'us-east-1',
  accessKeyId: 'AKEXAMPLE',
  secretAccessKey: 'secret/with+chars=',
  forcePathStyle: true,
};

describe('S3 env round trip', () => {
  test('s3Env writes the four UFS_TEST_S3_* variables and s3FromEnv reads them back', () => {
    const env = s3Env(s3);
    expect(env).toEqual({
      UFS_TEST_S3_ENDPOINT: 'http://127.0.0.1:12345',
      UFS_TEST_S3_REGION: 'us-east-1',
      UFS_TEST_S3_ACCESS_KEY_ID: 'AKEXAMPLE',
      UFS_TEST_S3_SECRET_ACCESS_KEY: 'secret/with+chars=',
    });
    expect(s3FromEnv(env)).toEqual(s3);
  });

  test('servicesEnv merges the env of running services', () => {
    const running: RunningService = {
      name: 's3',
      description: 'S3',
      info: s3,
      summary: s3.endpoint,
      env: s3Env(s3),
      reused: true,
      startupMs: 0,
      stop: async () => {},
    };
    expect(s3FromEnv(servicesEnv([running]))).toEqual(s3);
    expect(servicesEnv([])).toEqual({});
  });

  test('s3FromEnv is undefined when a required variable is missing; region defaults to us-east-1', () => {
    expect(s3FromEnv({})).toBeUndefined();
    for (const name of [S3_ENV.endpoint, S3_ENV.accessKeyId, S3_ENV.secretAccessKey]) {
      const env: NodeJS.ProcessEnv = { ...s3Env(s3) };
      delete env[name];
      expect(s3FromEnv(env)).toBeUndefined();
    }
    const noRegion: NodeJS.ProcessEnv = { ...s3Env(s3), [S3_ENV.region]: '' };
    expect(s3FromEnv(noRegion)?.region).toBe('us-east-1');
  });
});

describe('service lists', () => {
  test('parseServiceNames accepts known names, trims, dedups and rejects unknown ones', () => {
    expect(parseServiceNames(' s3 , s3,')).toEqual(['s3']);
    expect(parseServiceNames([])).toEqual([]);
    expect(() => parseServiceNames('s3,ftp')).toThrow(/unknown test service\(s\): ftp \(known: s3/);
  });

  test('wantedServices reads jest globals, and UFS_TEST_SERVICES overrides them', () => {
    const config = { globals: { ufsTestServices: ['s3', 'mongodb'] } };
    expect(wantedServices(config, {})).toEqual({
      services: ['s3'],
      mongodb: true,
      source: 'jest globals.ufsTestServices',
    });
    expect(wantedServices({ globals: { ufsTestServices: 's3' } }, {}).services).toEqual(['s3']);
    expect(wantedServices(undefined, {})).toEqual({
      services: [],
      mongodb: false,
      source: 'jest globals.ufsTestServices',
    });
    expect(wantedServices(config, { UFS_TEST_SERVICES: 'none' }).services).toEqual([]);
    expect(wantedServices(config, { UFS_TEST_SERVICES: '' }).mongodb).toBe(false);
    expect(wantedServices({}, { UFS_TEST_SERVICES: 's3' }).services).toEqual(['s3']);
    expect(() => wantedServices({ globals: { ufsTestServices: 3 } }, {})).toThrow(/must be a list/);
  });
});

describe('MongoDB switch', () => {
  test('mongoTestUri reads UFS_TEST_MONGODB_URI, blank means none', () => {
    expect(mongoTestUri({})).toBeUndefined();
    expect(mongoTestUri({ UFS_TEST_MONGODB_URI: '  ' })).toBeUndefined();
    expect(mongoTestUri({ UFS_TEST_MONGODB_URI: 'mongodb://db:27017/t' })).toBe('mongodb://db:27017/t');
  });

  test('the banner says plainly whether the suites run, and never shows a password', () => {
    expect(mongoBanner({})).toBe(
      '[ufs test-services] MongoDB suites NOT RUN: UFS_TEST_MONGODB_URI is not set (no MongoDB can run on this machine)',
    );
    const banner = mongoBanner({ UFS_TEST_MONGODB_URI: 'mongodb://ufs:s3cret@db.example:27017/ufs?authSource=admin' });
    expect(banner).toBe(
      '[ufs test-services] MongoDB suites run against mongodb://ufs:***@db.example:27017/ufs?authSource=admin',
    );
    expect(redactUri('mongodb://u:p%40ss@a:1,b:2/db')).toBe('mongodb://u:***@a:1,b:2/db');
    expect(redactUri('mongodb+srv://cluster.example/db')).toBe('mongodb+srv://cluster.example/db');
  });
});
