import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey } from '@org/core';
import { client, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const EMPTY = sha256Of('');

/**
 * Reports of gc and verify over a large catalogue: bounded lists, exact counts; verify lists the named hashes the
 * server does not hold (a lone one is 404).
 */
describe('gc and verify reports', () => {
  let server: TestServer;
  let c: TestClient;
  beforeAll(async () => {
    server = await startServer({ gcGraceMs: 0 });
    c = client(server.url, server.key);
  });
  afterAll(async () => server?.close());

  it('verify of a lone hash the server does not hold is 404 NOT_FOUND naming it; nothing is verified', async () => {
    const data = 'held content';
    const held = sha256Of(data);
    const put = await fetch(`${server.url}/files/${held}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(put.status).toBe(200);
    const unknown = sha256Of('never uploaded');
    for (const named of [[unknown], [unknown, unknown]]) {
      const one = await c.call('POST', '/admin/verify', { sha256: named });
      expect(one.status).toBe(404);
      expect(one.json).toEqual({
        code: 'NOT_FOUND',
        retryable: false,
        detail: `the server holds no content for ${unknown}; nothing was verified`,
      });
    }
    // Held content, and the empty content (held without a record or an object), verify as before: `notFound` is empty.
    const ok = await c.call('POST', '/admin/verify', { sha256: [held, EMPTY, held] });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ checked: 2, ok: 2, missingCount: 0, corruptCount: 0, truncated: false });
    expect(ok.json).toMatchObject({ notFound: [], notFoundCount: 0 });
  });

  it('gc lists at most 1000 orphans, counts them all, and says the list was cut', async () => {
    const root = join(server.dir, 'content');
    const orphans: string[] = [];
    for (let i = 0; i < 1005; i++) {
      const data = `orphan ${i}`;
      const sha = sha256Of(data);
      orphans.push(sha);
      const path = join(root, contentKey(sha));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, data);
    }
    const dry = await c.call('POST', '/admin/gc', { dry_run: true, grace_seconds: 0 });
    expect(dry.status).toBe(200);
    // (The content of the first test has no record: it is `deleted`, a list of its own.)
    expect(dry.json).toMatchObject({ orphansCount: 1005, deletedCount: 1, truncated: true, dryRun: true });
    expect(dry.json.orphans).toHaveLength(1000);
    for (const sha of dry.json.orphans as string[]) expect(orphans).toContain(sha);
    // 1005 of 1006 objects without a record look like another store's content: refused, then forced.
    const refused = await c.call('POST', '/admin/gc', { grace_seconds: 0 });
    expect([refused.status, refused.json.code]).toEqual([400, 'INVALID_INPUT']);
    expect(refused.json.detail).toMatch(/^gc refused: 1005 of the 1006 objects of the content mount \(100 %\)/);
    const gc = await c.call('POST', '/admin/gc', { grace_seconds: 0, force: true });
    expect(gc.json).toMatchObject({ orphansCount: 1005, truncated: true });
    expect(gc.json.orphans).toHaveLength(1000);
    const again = await c.call('POST', '/admin/gc', { grace_seconds: 0 });
    expect(again.json).toMatchObject({ orphans: [], orphansCount: 0, deletedCount: 0, truncated: false });
  }, 120_000);

  it('verify lists at most 1000 missing hashes and repaired only among the listed; the counts are exact', async () => {
    const now = new Date().toISOString();
    for (let i = 0; i < 1002; i++) {
      await server.store.insertContentIfAbsent({
        sha256: sha256Of(`lost ${i}`),
        size: 10,
        state: 'present',
        version: 1,
        uploaded_at: now,
        lease_until: null,
        verified_at: null,
      });
    }
    const report = await c.call('POST', '/admin/verify', {});
    expect(report.status).toBe(200);
    expect(report.json).toMatchObject({ missingCount: 1002, repairedCount: 0, truncated: true });
    expect(report.json.missing).toHaveLength(1000);
    const repaired = await c.call('POST', '/admin/verify', { repair: true });
    expect(repaired.json).toMatchObject({ missingCount: 1002, repairedCount: 1002, truncated: true });
    expect(repaired.json.repaired).toEqual(repaired.json.missing);
    expect((await c.call('POST', '/admin/verify', {})).json).toMatchObject({ missingCount: 0, truncated: false });
  }, 120_000);
});

/** Verify of named hashes some of which the server does not hold: the report names them (`notFound`). */
describe('verify of hashes the server does not hold', () => {
  let server: TestServer;
  let c: TestClient;
  beforeAll(async () => {
    server = await startServer();
    c = client(server.url, server.key);
  });
  afterAll(async () => server?.close());

  /** Stores `data` as content (no file record) and returns its hash. */
  async function put(data: string): Promise<string> {
    const sha = sha256Of(data);
    const answer = await fetch(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(answer.status).toBe(200);
    return sha;
  }

  it('verify of held and unknown hashes checks the held ones and lists exactly the unknown ones, counted', async () => {
    const held = [await put('mixed a'), await put('mixed b')];
    const unknown = ['unknown 1', 'unknown 2', 'unknown 3'].map(sha256Of);
    // A record of content being removed is not held either.
    const removing = sha256Of('being removed');
    await server.store.insertContentIfAbsent({
      sha256: removing,
      size: 13,
      state: 'deleting',
      version: 1,
      uploaded_at: new Date().toISOString(),
      lease_until: new Date(Date.now() + 60_000).toISOString(),
      verified_at: null,
    });
    const named = [unknown[0]!, held[0]!, unknown[1]!, EMPTY, removing, held[1]!, unknown[2]!, unknown[0]!];
    const report = await c.call('POST', '/admin/verify', { sha256: named });
    expect(report.status).toBe(200);
    expect(report.json).toEqual({
      checked: 3,
      ok: 3,
      missing: [],
      missingCount: 0,
      corrupt: [],
      corruptCount: 0,
      repaired: [],
      repairedCount: 0,
      unreadable: [],
      unreadableCount: 0,
      notFound: [unknown[0], unknown[1], removing, unknown[2]],
      notFoundCount: 4,
      truncated: false,
    });
    // Several hashes none of which is held: a report that checked nothing, not a 404.
    const none = await c.call('POST', '/admin/verify', { sha256: unknown, repair: true });
    expect(none.status).toBe(200);
    expect(none.json).toMatchObject({ checked: 0, ok: 0, notFound: unknown, notFoundCount: 3, truncated: false });
  });

  it('verify lists at most 1000 unknown hashes; notFoundCount is exact and the report says the list was cut', async () => {
    const unknown = Array.from({ length: 1003 }, (_, i) => sha256Of(`not held ${i}`));
    const held = await put('mixed a');
    const report = await c.call('POST', '/admin/verify', { sha256: [held, ...unknown] });
    expect(report.status).toBe(200);
    expect(report.json).toMatchObject({ checked: 1, ok: 1, notFoundCount: 1003, missingCount: 0, truncated: true });
    expect(report.json.notFound).toEqual(unknown.slice(0, 1000));
  });
});
