import { describe, expect, it } from '@jest/globals';
import { KEY_NAME_MAX, keyNameProblem } from '../src/index.js';

describe('keyNameProblem: the one rule for API key names (server, bootstrap, CLI)', () => {
  it('takes 1 to 100 characters of any script, spaces inside', () => {
    for (const name of ['laptop', 'a b', 'é😀 ü', 'n'.repeat(KEY_NAME_MAX), ' x '])
      expect(keyNameProblem(name)).toBeUndefined();
  });

  it('refuses empty, too long, blank-only and control characters, naming the character and where', () => {
    expect(keyNameProblem('')).toMatch(/must not be empty/);
    expect(keyNameProblem('n'.repeat(KEY_NAME_MAX + 1))).toBe('is longer than 100 characters (101)');
    expect(keyNameProblem('   ')).toBe('must not be only whitespace');
    expect(keyNameProblem('\u3000')).toBe('must not be only whitespace');
    expect(keyNameProblem('bad\nname')).toBe('must not hold control characters (U+000A at position 4)');
    for (const char of ['\u0000', '\t', '\u001b', '\u007f', '\u0085', '\u009f'])
      expect(keyNameProblem(`a${char}`)).toMatch(/control characters/);
  });

  it('counts characters (code points), not UTF-16 units: an emoji is one', () => {
    expect(keyNameProblem('🔑'.repeat(KEY_NAME_MAX))).toBeUndefined();
    expect(keyNameProblem('🔑'.repeat(KEY_NAME_MAX + 1))).toBe('is longer than 100 characters (101)');
    expect(keyNameProblem('🔑🔑\u001b')).toBe('must not hold control characters (U+001B at position 3)');
  });
});
