import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey } from '@org/core';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

/** `GET /catalogue`: its `catalogue_epoch`. */
async function epochOf(url: string, key: string): Promise<string> {
  const answer = await client(url, key).call('GET', '/catalogue');
  expect(answer.status).toBe(200);
  expect(Object.keys(answer.json)).toEqual(['catalogue_epoch']);
  expect(typeof answer.json.catalogue_epoch).toBe('string');
  return answer.json.catalogue_epoch as string;
}

describe('catalogue epoch, GET /catalogue (two replicas on one SQLite file and content folder)', () => {
  let a: TestServer;
  let b: TestServer;
  let ca: TestClient;
  /** The epoch as both replicas report it (they must agree). */
  const epoch = async () => {
    const [fromA, fromB] = await Promise.all([epochOf(a.url, a.key), epochOf(b.url, a.key)]);
    expect(fromB).toBe(fromA);
    return fromA;
  };
  /** Records `data` at hostname:filepath and uploads its content. */
  const catalogue = async (hostname: string, filepath: string, data: string) => {
    const sha256 = sha256Of(data);
    await ca.call('POST', '/put_file', fileRecord({ hostname, filepath, sha256, file_size: data.length }));
    expect((await ca.upload(sha256, data, hostname, filepath)).status).toBe(200);
    return sha256;
  };

  beforeAll(async () => {
    a = await startServer({ gcGraceMs: 0 });
    b = await startServer({ gcGraceMs: 0, dir: a.dir });
    ca = client(a.url, a.key);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('is stable across requests and replicas, and unchanged by put, upload and a gc or verify that removes nothing', async () => {
    const first = await epoch();
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(await epoch()).toBe(first);
    await catalogue('keep', '/kept', 'kept content');
    const batch = await client(b.url, a.key).call('POST', '/put_files', {
      files: [fileRecord({ hostname: 'keep', filepath: '/batch', sha256: sha256Of('kept content'), file_size: 12 })],
    });
    expect(batch.status).toBe(200);
    const gc = await ca.call('POST', '/admin/gc', {});
    expect(gc.json).toMatchObject({ deleted: [], orphans: [] });
    const verify = await ca.call('POST', '/admin/verify', { repair: true });
    expect(verify.json).toMatchObject({ corrupt: [], missing: [], repaired: [] });
    expect(await epoch()).toBe(first);
  });

  it('needs a key with the read or the write scope', async () => {
    const current = await epoch();
    expect((await client(a.url, '').call('GET', '/catalogue')).status).toBe(401);
    expect((await client(a.url, 'f'.repeat(64)).call('GET', '/catalogue')).status).toBe(401);
    const keyWith = async (scopes: string[]) =>
      (await ca.call('POST', '/api_keys', { name: scopes.join('+'), scopes })).json.api_key as string;
    expect(await epochOf(b.url, await keyWith(['read']))).toBe(current);
    expect(await epochOf(b.url, await keyWith(['write']))).toBe(current);
    const adminOnly = await client(a.url, await keyWith(['admin'])).call('GET', '/catalogue');
    expect(adminOnly.status).toBe(403);
    expect(adminOnly.json.detail).toContain('lacks the "read" or "write" scope');
  });

  it('changes when a file record is deleted (DELETE /files/{id}), not on a 404', async () => {
    await catalogue('del', '/gone', 'deleted record');
    const before = await epoch();
    const id = (await a.store.findFile('del', '/gone'))!.id;
    expect((await client(b.url, a.key).call('DELETE', `/files/${id}`)).status).toBe(200);
    const after = await epoch();
    expect(after).not.toBe(before);
    expect((await ca.call('DELETE', `/files/${id}`)).status).toBe(404);
    expect(await epoch()).toBe(after);
  });

  it('changes when gc removes unreferenced content, and when it removes an orphan object', async () => {
    const sha = await catalogue('gc', '/unreferenced', 'collected content');
    const id = (await a.store.findFile('gc', '/unreferenced'))!.id;
    expect((await ca.call('DELETE', `/files/${id}`)).status).toBe(200);
    const before = await epoch();
    const gc = await client(b.url, a.key).call('POST', '/admin/gc', {});
    expect(gc.json.deleted).toContain(sha); // and the content of the record deleted above
    const after = await epoch();
    expect(after).not.toBe(before);

    const orphan = sha256Of('orphan object');
    await a.backend.write(contentKey(orphan), Readable.from([Buffer.from('orphan object')]));
    // `force`: the store may hold no content record by now, and gc would then keep the orphan (gc-guard.ts).
    const again = await ca.call('POST', '/admin/gc', { force: true });
    expect(again.json).toMatchObject({ deleted: [], orphans: [orphan] });
    expect(await epoch()).not.toBe(after);
  });

  it('changes when verify --repair removes corrupt or missing content, not when it only reports', async () => {
    const corrupt = await catalogue('verify', '/corrupt', 'to be corrupted');
    const missing = await catalogue('verify', '/missing', 'to be lost');
    await writeFile(join(a.dir, 'content', contentKey(corrupt)), 'tampered');
    await a.backend.delete(contentKey(missing));
    const before = await epoch();
    const report = await ca.call('POST', '/admin/verify', {});
    expect(report.json).toMatchObject({ corrupt: [corrupt], missing: [missing], repaired: [] });
    expect(await epoch()).toBe(before);
    const repaired = await client(b.url, a.key).call('POST', '/admin/verify', { repair: true });
    expect([...repaired.json.repaired].sort()).toEqual([corrupt, missing].sort());
    const after = await epoch();
    expect(after).not.toBe(before);
    // the records are still there and now ask for their content again
    const answer = await ca.call('POST', '/put_files', {
      files: [fileRecord({ hostname: 'verify', filepath: '/corrupt', sha256: corrupt, file_size: 15 })],
    });
    expect(answer.json.upload_required).toEqual([corrupt]);
    expect(await epoch()).toBe(after);
  });

  it('survives a restart: the epoch lives in the store', async () => {
    const before = await epoch();
    const c = await startServer({ dir: a.dir });
    try {
      expect(await epochOf(c.url, a.key)).toBe(before);
    } finally {
      await c.close();
    }
  });
});
