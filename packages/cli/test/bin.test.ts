import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '@org/core';
import { EXIT_CODE_BY_CODE } from '../src/exit-codes.js';

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

function ufs(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

describe('the ufs binary (real process, built dist)', () => {
  it('prints its version', () => {
    const run = ufs('--version');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  it('prints help with usage', () => {
    const run = ufs('--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: ufs <command>');
  });

  it('refuses an unknown command on stderr with a usage exit status', () => {
    const run = ufs('frobnicate');
    expect(run.status).toBe(64);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('unknown command "frobnicate"');
  });
});

describe('exit statuses', () => {
  it('maps every error code to a non-zero status', () => {
    for (const code of ERROR_CODES) expect(EXIT_CODE_BY_CODE[code]).toBeGreaterThan(0);
  });
});
