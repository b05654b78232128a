// A record's is_symlink and link_target must agree (dedup-api.md: is_symlink optional, default false; link_target
// string or null, optional): a symlink record names its target, any other record has none. Before, a symlink record
// with link_target null (and a size) was stored as is. Real HTTP against a real server over a temp folder.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const EMPTY = sha256Of('');

describe('symlink records: is_symlink and link_target agree', () => {
  let server: TestServer;
  let c: TestClient;

  beforeAll(async () => {
    server = await startServer({ logLevels: [] });
    c = client(server.url, server.key);
  });
  afterAll(async () => {
    await server?.close();
  });

  /** The records of a host, as the store holds them. */
  const recordsOf = async (hostname: string) => (await server.store.listFiles({ hostname }, { limit: 100 })).items;

  const SYMLINK_WITHOUT_TARGET =
    'invalid file metadata: link_target: link_target is null (or missing) but is_symlink is true: a symlink record ' +
    "must name its target (send the link's target, or is_symlink false for a regular file)";

  it('put_file refuses a symlink record without a target (null, missing or empty), naming link_target', async () => {
    const cases = [
      { is_symlink: true, link_target: null },
      { is_symlink: true },
      { is_symlink: true, link_target: '' },
    ];
    for (const [i, fields] of cases.entries()) {
      const answer = await c.call(
        'POST',
        '/put_file',
        fileRecord({ hostname: 'nolink', filepath: `/l${i}`, ...fields }),
      );
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ code: 'INVALID_INPUT', retryable: false });
      if (i < 2) expect(answer.json.detail).toBe(SYMLINK_WITHOUT_TARGET);
      else expect(answer.json.detail).toContain('link_target is empty but is_symlink is true');
    }
    // Also as the ufs scanner sends a symlink (the hash of empty content, size 0), only without its target.
    const scanned = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'nolink', filepath: '/l', sha256: EMPTY, file_size: 0, is_symlink: true }),
    );
    expect(scanned.status).toBe(400);
    expect(scanned.json.detail).toBe(SYMLINK_WITHOUT_TARGET);
    expect(await recordsOf('nolink')).toEqual([]);
  });

  it('put_file refuses a target on a record that is not a symlink, naming link_target', async () => {
    for (const fields of [{ link_target: '/etc/hosts' }, { is_symlink: false, link_target: '/etc/hosts' }]) {
      const answer = await c.call('POST', '/put_file', fileRecord({ hostname: 'target', ...fields }));
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({
        code: 'INVALID_INPUT',
        detail:
          'invalid file metadata: link_target: link_target is "/etc/hosts" but is_symlink is false (or missing): ' +
          'only a symlink record has a target (send null, or is_symlink true)',
      });
    }
    const empty = await c.call('POST', '/put_file', fileRecord({ hostname: 'target', link_target: '' }));
    expect(empty.status).toBe(400);
    expect(empty.json.detail).toContain('link_target: link_target is "" but is_symlink is false');
    expect(await recordsOf('target')).toEqual([]);
  });

  it('put_file takes consistent records: PutPlace v0.6 (neither field, or false and null) and a symlink with its target', async () => {
    const plain = await c.call('POST', '/put_file', fileRecord({ hostname: 'ok', filepath: '/plain' }));
    expect(plain.status).toBe(201);
    expect(plain.json).toMatchObject({ is_symlink: false, link_target: null });
    const putplace = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'ok', filepath: '/pp', is_symlink: false, link_target: null }),
    );
    expect(putplace.status).toBe(201);
    const link = await c.call(
      'POST',
      '/put_file',
      fileRecord({
        hostname: 'ok',
        filepath: '/link',
        sha256: EMPTY,
        file_size: 0,
        is_symlink: true,
        link_target: '/plain',
      }),
    );
    expect(link.status).toBe(201);
    expect(link.json).toMatchObject({ is_symlink: true, link_target: '/plain' });
    expect((await recordsOf('ok')).map((r) => [r.filepath, r.is_symlink, r.link_target])).toEqual([
      ['/link', true, '/plain'],
      ['/plain', false, null],
      ['/pp', false, null],
    ]);
  });

  it('put_files refuses the batch with the index of the contradictory record; nothing of it is stored', async () => {
    const files = [
      fileRecord({ hostname: 'batch', filepath: '/a' }),
      fileRecord({
        hostname: 'batch',
        filepath: '/b',
        sha256: EMPTY,
        file_size: 0,
        is_symlink: true,
        link_target: '/a',
      }),
      fileRecord({ hostname: 'batch', filepath: '/c', is_symlink: true, link_target: null }),
    ];
    const answer = await c.call('POST', '/put_files', { files });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({
      code: 'INVALID_INPUT',
      record: 2,
      detail:
        'invalid record files[2]: link_target: link_target is null (or missing) but is_symlink is true: a symlink ' +
        "record must name its target (send the link's target, or is_symlink false for a regular file)",
    });
    const target = await c.call('POST', '/put_files', {
      files: [fileRecord({ hostname: 'batch', filepath: '/d', link_target: '/a' }), ...files.slice(0, 2)],
    });
    expect(target.status).toBe(400);
    expect(target.json).toMatchObject({ record: 0 });
    expect(target.json.detail).toContain(
      'invalid record files[0]: link_target: link_target is "/a" but is_symlink is false',
    );
    expect(await recordsOf('batch')).toEqual([]);
    // The same batch, consistent, is taken whole.
    const fixed = await c.call('POST', '/put_files', { files: files.slice(0, 2) });
    expect(fixed.status).toBe(200);
    expect((await recordsOf('batch')).map((r) => [r.filepath, r.is_symlink, r.link_target])).toEqual([
      ['/a', false, null],
      ['/b', true, '/a'],
    ]);
  });
});
