// Durations of the environment have a maximum (ten years; a day for UFS_KEY_CACHE_MS): a value past it fails the
// start with CONFIG_INVALID (status 78) naming the variable, instead of being taken and making every `POST /tus` a 500.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../src/config.js';
import { MAIN, runEntry } from './helpers/run-api.js';

describe('durations of the environment out of range', () => {
  it.each([
    ['UFS_UPLOAD_EXPIRY_SECONDS', '9999999999999', 'must be at most 315619200 (ten years)'],
    ['UFS_GC_GRACE_SECONDS', '315619201', 'must be at most 315619200 (ten years)'],
    ['UFS_KEY_CACHE_MS', '86400001', 'must be at most 86400000 (a day)'],
    ['UFS_MAX_UPLOAD_BYTES', '9007199254740993', 'must be at most 9007199254740991 bytes'],
    ['UFS_BODY_IDLE_TIMEOUT_SECONDS', '86401', 'must be at most 86400 (a day)'],
    ['UFS_BODY_IDLE_TIMEOUT_SECONDS', '0', 'must be 1 or more seconds'],
  ])('%s=%s is refused naming it', (name, value, problem) => {
    expect(() => loadConfig({ [name]: value })).toThrow(`${name}: ${problem}`);
  });

  it('the longest are taken', () => {
    const config = loadConfig({ UFS_UPLOAD_EXPIRY_SECONDS: '315619200', UFS_GC_GRACE_SECONDS: '315619200' });
    expect(config.UFS_UPLOAD_EXPIRY_SECONDS).toBe(315_619_200);
    expect(loadConfig({}).UFS_BODY_IDLE_TIMEOUT_SECONDS).toBe(90);
    expect(loadConfig({ UFS_BODY_IDLE_TIMEOUT_SECONDS: '86400' }).UFS_BODY_IDLE_TIMEOUT_SECONDS).toBe(86_400);
  });

  describe('the built app', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ufs-api-ranges-'));
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));

    it('does not start with UFS_UPLOAD_EXPIRY_SECONDS=9999999999999: one line naming it, 78', async () => {
      const ended = await runEntry(MAIN, {
        UFS_HOST: '127.0.0.1',
        UFS_PORT: '0',
        UFS_DATA_DIR: join(dir, 'data'),
        UFS_LOG_LEVEL: 'error',
        UFS_UPLOAD_EXPIRY_SECONDS: '9999999999999',
      });
      expect(ended.code).toBe(78);
      expect(ended.stderr).toContain('UFS_UPLOAD_EXPIRY_SECONDS: must be at most 315619200 (ten years)');
    });
  });
});
