// One rule for every variable: an empty value is unset (its default applies), and numbers are decimal digits only.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { loadConfig } from '../src/config.js';
import { MAIN, runEntry } from './helpers/run-api.js';

const defaults = loadConfig({});

/** The message of loadConfig's CONFIG_INVALID for `env`. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(UfsError);
    expect((err as UfsError).code).toBe('CONFIG_INVALID');
    return (err as UfsError).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('an empty variable is unset: its default applies', () => {
  it.each([
    'UFS_HOST',
    'UFS_PORT',
    'UFS_GC_GRACE_SECONDS',
    'UFS_RATE_LIMIT_PER_MINUTE',
    'UFS_KEY_CACHE_MS',
    'UFS_MAX_UPLOAD_BYTES',
    'UFS_MAX_JSON_BYTES',
    'UFS_UPLOAD_EXPIRY_SECONDS',
    'UFS_DATA_DIR',
    'UFS_LOG_LEVEL',
    'UFS_PUBLIC_METRICS',
    'UFS_READY_CACHE_MS',
    'UFS_SHUTDOWN_TIMEOUT_SECONDS',
  ] as const)('%s=', (name) => {
    expect(loadConfig({ [name]: '' })[name]).toEqual(defaults[name]);
  });

  it('the optional ones stay unset (no MongoDB, no content URL, no secret, no CORS)', () => {
    const config = loadConfig({
      UFS_MONGODB_URI: '',
      UFS_MONGODB_DB: '',
      UFS_CONTENT_URL: '',
      UFS_SIGNING_SECRET: '',
      UFS_TUS_CORS_ORIGIN: '',
      UFS_REPLICA_ID: '',
    });
    expect(config).toMatchObject({ UFS_GC_GRACE_SECONDS: 3600, UFS_RATE_LIMIT_PER_MINUTE: 60_000 });
    for (const name of ['UFS_MONGODB_URI', 'UFS_CONTENT_URL', 'UFS_SIGNING_SECRET', 'UFS_TUS_CORS_ORIGIN'] as const)
      expect(config[name]).toBeUndefined();
  });
});

describe('numbers are decimal digits only', () => {
  it.each([
    ['UFS_PORT', '0x10'],
    ['UFS_PORT', ' 5'],
    ['UFS_PORT', '5 '],
    ['UFS_PORT', '80.0'],
    ['UFS_GC_GRACE_SECONDS', '1e3'],
    ['UFS_GC_GRACE_SECONDS', '0x0'],
    ['UFS_RATE_LIMIT_PER_MINUTE', '+5'],
    ['UFS_MAX_UPLOAD_BYTES', '1_000'],
    ['UFS_KEY_CACHE_MS', 'Infinity'],
    ['UFS_SHUTDOWN_TIMEOUT_SECONDS', '2.5'],
  ])('%s=%j is refused, naming the variable and the form', (name, value) => {
    expect(refusal({ [name]: value })).toMatch(
      new RegExp(`^\\[ufs\\] invalid API configuration: ${name}: must be .* in decimal digits, like \\d+ \\(got `),
    );
  });

  it('decimal digits are read as written; ranges are checked', () => {
    expect(loadConfig({ UFS_PORT: '0080', UFS_GC_GRACE_SECONDS: '0' })).toMatchObject({
      UFS_PORT: 80,
      UFS_GC_GRACE_SECONDS: 0,
    });
    expect(refusal({ UFS_PORT: '65536' })).toContain('UFS_PORT: must be a port number from 0 to 65535');
    expect(refusal({ UFS_SHUTDOWN_TIMEOUT_SECONDS: '3601' })).toContain(
      'UFS_SHUTDOWN_TIMEOUT_SECONDS: must be at most 3600 seconds',
    );
  });
});

describe('hosts and URLs are checked with the other variables', () => {
  it('UFS_HOST: an IP address or a host name', () => {
    expect(loadConfig({ UFS_HOST: '::' }).UFS_HOST).toBe('::');
    expect(loadConfig({ UFS_HOST: '[::1]' }).UFS_HOST).toBe('::1');
    expect(loadConfig({ UFS_HOST: 'api.internal' }).UFS_HOST).toBe('api.internal');
    for (const host of ['999.1.1.1', 'not_a_host', '1.2.3', 'a b'])
      expect(refusal({ UFS_HOST: host })).toContain(`UFS_HOST: must be an IP address or a host name`);
  });

  it('UFS_MONGODB_DB without UFS_MONGODB_URI is refused, naming both', () => {
    expect(refusal({ UFS_MONGODB_DB: 'catalogue' })).toBe(
      '[ufs] invalid API configuration: UFS_MONGODB_DB is set without UFS_MONGODB_URI: set UFS_MONGODB_URI too, ' +
        'or unset UFS_MONGODB_DB',
    );
    expect(loadConfig({ UFS_MONGODB_DB: 'catalogue', UFS_MONGODB_URI: 'mongodb://h' }).UFS_MONGODB_DB).toBe(
      'catalogue',
    );
  });
});

describe('the built app with empty variables', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-api-env-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('starts on the defaults (UFS_PORT= is 8000, not a random port) when the other variables are empty', async () => {
    // 8000 may be taken on this machine: then the start fails naming it, which is as good a proof.
    const child = spawn(process.execPath, ['--no-warnings', MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        UFS_PORT: '',
        UFS_HOST: '',
        UFS_DATA_DIR: join(dir, 'data'),
        UFS_GC_GRACE_SECONDS: '',
        UFS_RATE_LIMIT_PER_MINUTE: '',
        UFS_KEY_CACHE_MS: '',
        UFS_LOG_LEVEL: '',
        UFS_MONGODB_URI: '',
        UFS_CONTENT_URL: '',
        UFS_SHUTDOWN_TIMEOUT_SECONDS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit');
    const listening = new Promise<string>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('ufs api listening on ')) resolve(line);
      });
    });
    const first = await Promise.race([listening, exited.then(() => `exited: ${stderr}`)]);
    if (first.startsWith('exited')) expect(stderr).toMatch(/cannot listen on 0\.0\.0\.0:8000: .*in use/);
    else {
      // UFS_HOST= is 0.0.0.0 (every address), shown as the local URL.
      expect(first).toBe('ufs api listening on http://127.0.0.1:8000 (docs at /docs)');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    }
  });

  it('refuses a malformed number with 78, one line naming the variable', async () => {
    const ended = await runEntry(MAIN, {
      UFS_HOST: '127.0.0.1',
      UFS_PORT: '0x10',
      UFS_DATA_DIR: join(dir, 'hex'),
    });
    expect(ended.code).toBe(78);
    expect(ended.stderr.trim().split('\n')).toEqual([
      '[ufs] invalid API configuration: UFS_PORT: must be a port number from 0 to 65535 in decimal digits, like 8000 ' +
        '(got "0x10")',
    ]);
  });
});
