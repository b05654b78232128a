import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApiKey, keyNameProblem } from '../src/index.js';
import { client } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * API key names are shown as rows (`ufs server key list`) and in logs: a control character (a newline, a NUL, a
 * terminal escape) or a name of blanks only is refused, by POST /api_keys (400 naming `name`) and by createApiKey.
 */
describe('API key names', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const refusedNames: Array<[string, string]> = [
    ['a\u0000b\nc', 'U+0000'],
    ['bad\nname', 'U+000A'],
    ['tab\there', 'U+0009'],
    ['esc\u001b[31m', 'U+001B'],
    ['del\u007f', 'U+007F'],
    ['c1\u0085', 'U+0085'],
    ['c1\u009f', 'U+009F'],
  ];

  it('POST /api_keys refuses control characters (C0, DEL, C1) with 400 naming `name` and the character', async () => {
    for (const [name, char] of refusedNames) {
      const answer = await client(server.url, server.key).call('POST', '/api_keys', { name });
      expect({ name, status: answer.status, code: answer.json?.code }).toEqual({
        name,
        status: 400,
        code: 'INVALID_INPUT',
      });
      expect(answer.json.detail).toContain(`name: name must not hold control characters (${char} at position`);
    }
  });

  it('POST /api_keys refuses names of whitespace only', async () => {
    for (const name of [' ', '   ', '\u00a0\u2003']) {
      const answer = await client(server.url, server.key).call('POST', '/api_keys', { name });
      expect(answer.status).toBe(400);
      expect(answer.json.detail).toContain('name: name must not be only whitespace');
    }
  });

  it('nothing refused was stored; names with inner spaces, accents and emoji are taken', async () => {
    for (const name of ['my laptop', ' padded ', 'café ☕ 🚀', 'x'.repeat(100)]) {
      const answer = await client(server.url, server.key).call('POST', '/api_keys', { name });
      expect({ name, status: answer.status, stored: answer.json.name }).toEqual({ name, status: 201, stored: name });
    }
    const names = (await server.store.listApiKeys()).map((key) => key.name);
    // eslint-disable-next-line no-control-regex
    expect(names.filter((name) => /[\u0000-\u001f\u007f-\u009f]/.test(name) || name.trim() === '')).toEqual([]);
  });

  it('createApiKey (the --bootstrap way) refuses the same names, INVALID_INPUT, nothing written', async () => {
    const before = (await server.store.listApiKeys()).length;
    for (const [name] of refusedNames) {
      await expect(createApiKey(server.store, { name })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    await expect(createApiKey(server.store, { name: '  ' })).rejects.toThrow(
      'API key name must not be only whitespace',
    );
    expect((await server.store.listApiKeys()).length).toBe(before);
  });

  it('keyNameProblem: the rule, exported for the CLI to keep its copy in step', () => {
    expect(keyNameProblem('ok')).toBeUndefined();
    expect(keyNameProblem('')).toBe('must not be empty (1–100 characters)');
    expect(keyNameProblem('n'.repeat(101))).toBe('is longer than 100 characters (101)');
    expect(keyNameProblem('bad\nname')).toBe('must not hold control characters (U+000A at position 4)');
    expect(keyNameProblem('\t')).toBe('must not hold control characters (U+0009 at position 1)');
    expect(keyNameProblem(' \u3000 ')).toBe('must not be only whitespace');
  });
});
