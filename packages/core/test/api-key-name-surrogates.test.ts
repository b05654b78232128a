// An API key name made of lone surrogates (JSON `"name": "\ud800"`) was accepted and stored as U+FFFD, a name the
// client never sent. keyNameProblem, the one rule of POST /api_keys, createApiKey and `ufs server key create`, now
// refuses an unpaired surrogate, naming it and where it is; a pair (an emoji) stays one character.
import { describe, expect, it } from '@jest/globals';
import { KEY_NAME_MAX, keyNameProblem, unpairedSurrogate } from '../src/index.js';

describe('keyNameProblem: unpaired surrogates', () => {
  it('a lone high or low surrogate, alone, amid text or at the end, is refused, named with its position', () => {
    const problem = (codeUnit: string, position: number) =>
      `must be well-formed Unicode: it holds an unpaired surrogate (${codeUnit} at position ${position}), which cannot be stored`;
    expect(keyNameProblem('\ud800')).toBe(problem('U+D800', 1));
    expect(keyNameProblem('\udfff')).toBe(problem('U+DFFF', 1));
    expect(keyNameProblem('ci-\udc00-key')).toBe(problem('U+DC00', 4));
    expect(keyNameProblem('🔑key\ud83d')).toBe(problem('U+D83D', 5)); // a pair before it counts as one
    expect(keyNameProblem('\udc00\ud800')).toBe(problem('U+DC00', 1)); // reversed: not a pair
  });

  it('surrogate pairs are well-formed: an emoji name, and the longest one, are accepted', () => {
    expect(keyNameProblem('🔑')).toBeUndefined();
    expect(keyNameProblem('deploy 🚀 key')).toBeUndefined();
    expect(keyNameProblem('🔑'.repeat(KEY_NAME_MAX))).toBeUndefined();
  });

  it('unpairedSurrogate: undefined for well-formed text, else the first one', () => {
    expect(unpairedSurrogate('')).toBeUndefined();
    expect(unpairedSurrogate('plain /path/ü/🔑')).toBeUndefined();
    expect(unpairedSurrogate('a\ud800b\udc00')).toEqual({ position: 2, codeUnit: 'U+D800' });
  });
});
