import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey, hashStream, type StorageBackend } from '@org/core';
import { client, fileRecord, sha256Of } from './helpers/records.js';
import { s3ContentMount } from './helpers/s3.js';
import { inOneRateWindow, startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

async function objectCount(backend: StorageBackend, sha: string): Promise<number> {
  const stat = await backend.stat(contentKey(sha));
  return stat ? 1 : 0;
}

/** Two app instances over one store and one content mount: nothing one needs lives in the other's memory. */
function replicaSuite(name: string, mount: () => Promise<{ backend: StorageBackend; dispose(): Promise<void> }>) {
  describe(`two replicas on one store and one content mount: ${name}`, () => {
    let a: TestServer;
    let b: TestServer;
    let disposeMount: () => Promise<void>;
    beforeAll(async () => {
      const m = await mount();
      disposeMount = () => m.dispose();
      a = await startServer({ content: m.backend, gcGraceMs: 0 });
      b = await startServer({ content: m.backend, gcGraceMs: 0, dir: a.dir });
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
      await disposeMount?.();
    });

    it('race on one hash across replicas: one object, all records marked', async () => {
      const data = `replicated ${name} `.repeat(5000);
      const sha = sha256Of(data);
      const hosts = Array.from({ length: 30 }, (_, i) => `r${i}`);
      const ca = client(a.url, a.key);
      const cb = client(b.url, a.key);
      for (const [i, h] of hosts.entries()) {
        await (i % 2 ? cb : ca).call(
          'POST',
          '/put_file',
          fileRecord({ hostname: h, filepath: '/x', sha256: sha, file_size: data.length }),
        );
      }
      const results = await Promise.all(hosts.map((h, i) => (i % 2 ? cb : ca).upload(sha, data, h, '/x')));
      expect(results.map((r) => r.status)).toEqual(hosts.map(() => 200));
      expect(await objectCount(a.backend, sha)).toBe(1);
      expect((await hashStream(await a.backend.read(contentKey(sha)))).digest).toBe(sha);
      const listed = await cb.call('GET', `/files?sha256=${sha}&limit=100`);
      expect(listed.json.items.every((r: { has_file_content: boolean }) => r.has_file_content)).toBe(true);
      expect(listed.json.items).toHaveLength(30);
      const part = await cb.call('GET', `/files/${sha}/content`, undefined, { range: 'bytes=11-20' });
      expect(part.status).toBe(206);
      expect(part.text).toBe(data.slice(11, 21));
      expect((await ca.call('GET', `/files/${sha}/content`, undefined, { 'if-none-match': `"${sha}"` })).status).toBe(
        304,
      );
      const target = sha256Of('other bytes');
      const wrong = await fetch(`${b.url}/files/${target}/content`, {
        method: 'PUT',
        headers: { 'x-api-key': a.key, 'content-type': 'application/octet-stream' },
        body: 'forged bytes',
      });
      expect(wrong.status).toBe(400);
      expect(await objectCount(a.backend, target)).toBe(0);
      expect((await a.backend.list('_tmp', { recursive: true }).catch(() => ({ entries: [] }))).entries).toEqual([]);
    });

    it('rate limits, keys and tus sessions are shared', async () => {
      const ca = client(a.url, a.key);
      const created = await ca.call('POST', '/api_keys', { name: 'limited', rate_limit_per_minute: 4 });
      const key = created.json.api_key as string;
      await inOneRateWindow();
      const statuses = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await client(i % 2 ? b.url : a.url, key).call('GET', `/get_file/${sha256Of('q')}`)).status);
      expect(statuses).toEqual([404, 404, 404, 404, 429, 429]);
      await ca.call('PUT', `/api_keys/${created.json._id}/revoke`);
      expect((await client(a.url, key).call('GET', '/files')).status).toBe(401);
      // B may reuse the key record it read for keyCacheMs (default 1 s); after that it refuses the key too.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await client(b.url, key).call('GET', '/files')).status).toBe(401);

      const data = 'tus across replicas';
      const { location } = await tusClient(a.url, a.key).create(sha256Of(data), data.length);
      expect((await tusClient(b.url, a.key).patch(location!, 0, data.slice(0, 5))).status).toBe(204);
      expect((await tusClient(a.url, a.key).head(location!)).offset).toBe(5);
      expect((await tusClient(a.url, a.key).patch(location!, 5, data.slice(5))).status).toBe(204);
      expect(await objectCount(a.backend, sha256Of(data))).toBe(1);
    });

    it('GC on one replica racing uploads on the other never leaves a marked record without content', async () => {
      const data = `gc race ${name}`;
      const sha = sha256Of(data);
      const ca = client(a.url, a.key);
      const cb = client(b.url, a.key);
      for (let round = 0; round < 10; round++) {
        const path = `/gc/${round}`;
        await cb.call(
          'POST',
          '/put_file',
          fileRecord({ hostname: 'gcr', filepath: path, sha256: sha, file_size: data.length }),
        );
        const [up, gc] = await Promise.all([cb.upload(sha, data, 'gcr', path), ca.call('POST', '/admin/gc', {})]);
        expect([200, 503]).toContain(up.status);
        expect(gc.status).toBe(200);
        const record = (await cb.call('GET', `/files?hostname=gcr&path_prefix=${path}`)).json.items[0];
        if (record.has_file_content) expect((await ca.call('GET', `/files/${sha}/content`)).text).toBe(data);
        await ca.call('DELETE', `/files/${record._id}`);
      }
      await ca.call('POST', '/admin/gc', {});
      expect(await a.store.getContent(sha)).toBeNull();
      expect(await objectCount(a.backend, sha)).toBe(0);
    });
  });
}

replicaSuite('same SQLite file + same local folder', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { openContentMount } = await import('../src/index.js');
  const dir = await mkdtemp(join(tmpdir(), 'ufs-shared-content-'));
  const m = await openContentMount(dir);
  return {
    backend: m.backend,
    dispose: async () => (await m.dispose(), await rm(dir, { recursive: true, force: true })),
  };
});

replicaSuite('same SQLite file + same S3 bucket (radosgw)', s3ContentMount);
