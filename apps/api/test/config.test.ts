import { describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { loadConfig } from '../src/config.js';

describe('API configuration from env', () => {
  it('has embedded defaults', () => {
    expect(loadConfig({})).toMatchObject({ UFS_PORT: 8000, UFS_HOST: '0.0.0.0', UFS_DATA_DIR: './ufs-data' });
    expect(loadConfig({}).UFS_MONGODB_URI).toBeUndefined();
  });

  it('reads and coerces values', () => {
    const config = loadConfig({
      UFS_PORT: '9001',
      UFS_MONGODB_URI: 'mongodb://db:27017/ufs',
      UFS_MAX_UPLOAD_BYTES: '1024',
    });
    expect(config.UFS_PORT).toBe(9001);
    expect(config.UFS_MONGODB_URI).toBe('mongodb://db:27017/ufs');
    expect(config.UFS_MAX_UPLOAD_BYTES).toBe(1024);
  });

  it('names every bad variable', () => {
    let error: unknown;
    try {
      loadConfig({ UFS_PORT: 'eighty', UFS_MONGODB_URI: 'postgres://x', UFS_LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UfsError);
    expect((error as UfsError).code).toBe('CONFIG_INVALID');
    expect((error as UfsError).message).toMatch(/UFS_PORT/);
    expect((error as UfsError).message).toMatch(/UFS_MONGODB_URI: must start with mongodb/);
    expect((error as UfsError).message).toMatch(/UFS_LOG_LEVEL/);
  });
});
