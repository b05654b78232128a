// API key names that would break `ufs server key list`'s rows or run as terminal escapes: control characters (C0, DEL,
// C1) and names of blanks only are refused by `ufs server key create` (64 naming NAME and the character, nothing
// sent, no store opened), both ways; names stored before the server refused them are listed escaped.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '@org/server';
import { printableKeyName } from '../src/api/admin-flags.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let admin: Record<string, string>;

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  admin = { ...box.env, UFS_SERVER: server.url, UFS_API_KEY: server.apiKey ?? '' };
});
afterAll(async () => {
  await server?.stop();
  await box.cleanup();
});

const bad: Array<[string, string]> = [
  ['bad\nname', 'U+000A at position 4'],
  ['tab\there', 'U+0009 at position 4'],
  ['esc\u001b[31m', 'U+001B at position 4'],
  ['del\u007f', 'U+007F at position 4'],
  ['c1\u0085', 'U+0085 at position 3'],
];

describe('ufs server key create: control characters and blank names', () => {
  it.each([
    ['through the API', () => ['-s', server.url, '-k', server.apiKey ?? '']],
    ['--bootstrap', () => ['--bootstrap', '--data-dir', join(box.dir, 'never')]],
  ])('%s: 64 naming NAME and the character; nothing created', async (_way, way) => {
    // Every one is refused before anything is sent or opened: four at a time.
    const blanks = [' ', '   ', '\u00a0'];
    const names = [...bad.map(([name]) => name), ...blanks];
    const runs: Array<Awaited<ReturnType<typeof ufs>>> = [];
    for (let i = 0; i < names.length; i += 4) {
      runs.push(
        ...(await Promise.all(
          names.slice(i, i + 4).map((name) => ufs(['server', 'key', 'create', name, ...way()], { env: box.env })),
        )),
      );
    }
    for (const [i, [, where]] of bad.entries()) {
      const run = runs[i]!;
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr.trim().split('\n') }).toEqual({
        status: 64,
        stdout: '',
        stderr: [`[ufs] NAME must not hold control characters (${where}) (see --help)`],
      });
    }
    for (const run of runs.slice(bad.length)) {
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr.trim() }).toEqual({
        status: 64,
        stdout: '',
        stderr: '[ufs] NAME must not be only whitespace (see --help)',
      });
    }
    expect(existsSync(join(box.dir, 'never'))).toBe(false);
    const list = await ufs(['server', 'key', 'list', '--json'], { env: admin });
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((k) => k.name)).toEqual(['bootstrap']);
  });

  it('names with inner spaces, accents and emoji are taken, both ways', async () => {
    const name = 'my laptop – café ☕';
    const [api, local] = await Promise.all([
      ufs(['server', 'key', 'create', name], { env: admin }),
      ufs(['server', 'key', 'create', name, '--bootstrap', '--data-dir', join(box.dir, 'ok')], { env: box.env }),
    ]);
    expect(api.status).toBe(0);
    expect(local.status).toBe(0);
  });
});

describe('ufs server key list: names stored before the rule', () => {
  it('control characters are shown escaped (one row per key); --json has the names as they are', async () => {
    const stored = [
      'two\nlines',
      'nul\u0000tab\tend',
      'red\u001b[31m',
      'c1\u009b',
      'back\\slash "q"\r',
      'del\u007f\u009b2J',
    ];
    const store = new SqliteStore({ path: join(server.dataDir, 'ufs.db') });
    try {
      for (const [i, name] of stored.entries()) {
        await store.insertApiKey({
          id: `old${i}`.padEnd(24, '0'),
          key_hash: `${'0'.repeat(63)}${i}`,
          name,
          description: null,
          scopes: ['read'],
          created_at: new Date().toISOString(),
          last_used_at: null,
          is_active: true,
          rate_limit_per_minute: null,
        });
      }
    } finally {
      await store.close();
    }
    const [list, json] = await Promise.all([
      ufs(['server', 'key', 'list'], { env: admin }),
      ufs(['server', 'key', 'list', '--json'], { env: admin }),
    ]);
    expect(list.status).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(list.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const rows = list.stdout.trim().split('\n');
    const shown = (id: string) => rows.find((row) => row.startsWith(id))?.split(/\s{2,}/)[1];
    expect(stored.map((_, i) => shown(`old${i}`.padEnd(24, '0')))).toEqual([
      'two\\nlines',
      'nul\\u0000tab\\tend',
      'red\\u001b[31m',
      'c1\\u009b',
      'back\\\\slash "q"\\r',
      'del\\u007f\\u009b2J',
    ]);
    const names = (JSON.parse(json.stdout) as Array<{ name: string }>).map((k) => k.name);
    expect(names).toEqual(expect.arrayContaining(stored));
  });
});

describe('printableKeyName', () => {
  it('escapes control characters only', () => {
    expect(printableKeyName('plain name é')).toBe('plain name é');
    expect(printableKeyName('two\nlines\u0000\u009b')).toBe('two\\nlines\\u0000\\u009b');
    expect(printableKeyName('del\u007f "q" back\\slash\u0085')).toBe('del\\u007f "q" back\\\\slash\\u0085');
  });
});
