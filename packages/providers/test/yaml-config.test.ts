import { describe, expect, it } from '@jest/globals';
import { parseYamlConfig } from '../src/orchestrator/config.js';

// Pure parsing: names that YAML would read as numbers or booleans keep their text; other values do not change.
describe('parseYamlConfig', () => {
  it('keeps mapping keys and provider ids as written', () => {
    const text = [
      'providers: [0x0, catbox, 007]',
      'upload:',
      '  providers: 0x0',
      'providerOptions:',
      '  0x0: { secret: true }',
      '  1e3: {}',
      'mounts:',
      '  007: { protocol: memory }',
      '  true: { protocol: memory }',
      '',
    ].join('\n');
    expect(parseYamlConfig(text)).toEqual({
      providers: ['0x0', 'catbox', '007'],
      upload: { providers: '0x0' },
      providerOptions: { '0x0': { secret: true }, '1e3': {} },
      mounts: { '007': { protocol: 'memory' }, true: { protocol: 'memory' } },
    });
  });

  it('reads every other value as YAML does', () => {
    const text = 'maxAttempts: 0x3\nverify: false\nexpire: "24h"\nproviders: ["0x0"]\ntimeoutMs: ~\n';
    expect(parseYamlConfig(text)).toEqual({
      maxAttempts: 3,
      verify: false,
      expire: '24h',
      providers: ['0x0'],
      timeoutMs: null,
    });
  });

  it('throws the first syntax error', () => {
    expect(() => parseYamlConfig('providers: [catbox\n')).toThrow(/flow sequence|Missing|expected/i);
  });
});
