// The strings the server stores must be what the client sent. JSON may carry an unpaired UTF-16 surrogate
// (`"\ud800"`), which no UTF-8 store keeps: SQLite stored U+FFFD instead, silently. A symlink record's link_target
// took a NUL, which filepath (a path too) refuses. Both are refused with 400 naming the field, for put_file and batch
// put alike, and for an API key's name and description. Real HTTP against a real server over a temp folder.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const EMPTY = sha256Of('');

/** A symlink record (size 0, the hash of empty content), as the scanner sends one. */
const link = (hostname: string, filepath: string, link_target: string) =>
  fileRecord({ hostname, filepath, sha256: EMPTY, file_size: 0, is_symlink: true, link_target });

const lone = (field: string, codeUnit: string, position: number) =>
  `${field}: ${field} must be well-formed Unicode: it holds an unpaired surrogate (${codeUnit} at position ${position}), which cannot be stored`;

describe('stored strings: no unpaired surrogate, no NUL in link_target', () => {
  let server: TestServer;
  let c: TestClient;

  beforeAll(async () => {
    server = await startServer({ logLevels: [] });
    c = client(server.url, server.key);
  });
  afterAll(async () => {
    await server?.close();
  });

  const recordsOf = async (hostname: string) => (await server.store.listFiles({ hostname }, { limit: 100 })).items;

  it('put_file: an unpaired surrogate in filepath, hostname, ip_address or link_target is 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [fileRecord({ hostname: 'sur', filepath: '/a\ud800b' }), lone('filepath', 'U+D800', 3)],
      [fileRecord({ hostname: 'sur\udc00', filepath: '/b' }), lone('hostname', 'U+DC00', 4)],
      [fileRecord({ hostname: 'sur', filepath: '/c', ip_address: '\ud83d' }), lone('ip_address', 'U+D83D', 1)],
      [link('sur', '/d', '/target/\udfff'), lone('link_target', 'U+DFFF', 9)],
    ];
    for (const [body, message] of cases) {
      const answer = await c.call('POST', '/put_file', body);
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ code: 'INVALID_INPUT', detail: `invalid file metadata: ${message}` });
    }
    expect(await recordsOf('sur')).toEqual([]);
    expect(await recordsOf('sur\ufffd')).toEqual([]);
    // A pair (an emoji) is well-formed and stored as sent.
    const ok = await c.call('POST', '/put_file', link('sur', '/🔑', '/to/🔑'));
    expect(ok.status).toBe(201);
    expect((await recordsOf('sur')).map((r) => [r.filepath, r.link_target])).toEqual([['/🔑', '/to/🔑']]);
  });

  it('put_file: link_target with NUL is 400 naming it, as filepath; other characters a path may hold are kept', async () => {
    const refused = await c.call('POST', '/put_file', link('nul', '/l', '/to/a\u0000b'));
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      code: 'INVALID_INPUT',
      detail: 'invalid file metadata: link_target: link_target must not contain NUL',
    });
    expect(await recordsOf('nul')).toEqual([]);
    // A tab or a newline, as in filepath: a file name on Linux may hold them, and so may the path a link names.
    const kept = await c.call('POST', '/put_file', link('nul', '/m', '/to/a\tb\nc'));
    expect(kept.status).toBe(201);
    expect((await recordsOf('nul')).map((r) => r.link_target)).toEqual(['/to/a\tb\nc']);
  });

  it('batch put: the same refusals, naming the record and the field; nothing of the batch is stored', async () => {
    for (const [bad, message] of [
      [link('batch', '/x', '/to/\ud800'), lone('link_target', 'U+D800', 5)],
      [link('batch', '/x', '/to/\u0000'), 'link_target: link_target must not contain NUL'],
      [fileRecord({ hostname: 'batch', filepath: '/x\udbff' }), lone('filepath', 'U+DBFF', 3)],
    ] as const) {
      const answer = await c.call('POST', '/put_files', {
        files: [fileRecord({ hostname: 'batch', filepath: '/ok' }), bad],
      });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({
        code: 'INVALID_INPUT',
        record: 1,
        detail: `invalid record files[1]: ${message}`,
      });
    }
    expect(await recordsOf('batch')).toEqual([]);
  });

  it('POST /api_keys: an unpaired surrogate in name or description is 400 naming it, no key made', async () => {
    const before = (await server.store.listApiKeys()).length;
    const name = await c.call('POST', '/api_keys', { name: '\ud800' });
    expect(name.status).toBe(400);
    expect(name.json).toMatchObject({
      code: 'INVALID_INPUT',
      detail: expect.stringContaining(
        'name must be well-formed Unicode: it holds an unpaired surrogate (U+D800 at position 1), which cannot be stored',
      ),
    });
    const description = await c.call('POST', '/api_keys', { name: 'k', description: 'x\udc00' });
    expect(description.status).toBe(400);
    expect(description.json).toMatchObject({
      code: 'INVALID_INPUT',
      detail: expect.stringContaining(lone('description', 'U+DC00', 2)),
    });
    expect(await server.store.listApiKeys()).toHaveLength(before);
    const made = await c.call('POST', '/api_keys', { name: 'key 🔑', description: 'ok 🔑' });
    expect(made.status).toBe(201);
  });
});
