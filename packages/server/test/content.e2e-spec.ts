import { request } from 'node:http';
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentKey } from '@org/core';
import { contentObjects, filesUnder } from './helpers/objects.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { GcService } from '../src/content/gc.service.js';

describe('race-safe content (embedded store, local mount)', () => {
  let server: TestServer;
  let c: ReturnType<typeof client>;
  let root: string;
  beforeAll(async () => {
    server = await startServer({ gcGraceMs: 0 });
    c = client(server.url, server.key);
    root = join(server.dir, 'content');
  });
  afterAll(async () => server?.close());

  it('100 concurrent uploads of one content: one object, every record marked', async () => {
    const data = 'same bytes from a hundred hosts '.repeat(2000);
    const sha = sha256Of(data);
    const hosts = Array.from({ length: 100 }, (_, i) => `host-${i}`);
    for (const hostname of hosts) {
      await c.call(
        'POST',
        '/put_file',
        fileRecord({ hostname, filepath: '/data/big.txt', sha256: sha, file_size: data.length }),
      );
    }
    const results = await Promise.all(hosts.map((h) => c.upload(sha, data, h, '/data/big.txt')));
    expect(results.map((r) => r.status)).toEqual(hosts.map(() => 200));
    expect(results.filter((r) => r.json.outcome === 'stored').length).toBeGreaterThanOrEqual(1);
    expect((await contentObjects(root)).filter((p) => p.endsWith(sha))).toEqual([contentKey(sha)]);
    expect(await readFile(join(root, contentKey(sha)), 'utf8')).toBe(data);
    const listed = await c.call('GET', `/files?sha256=${sha}&limit=1000`);
    expect(listed.json.items).toHaveLength(100);
    expect(listed.json.items.every((r: { has_file_content: boolean }) => r.has_file_content)).toBe(true);
    expect((await filesUnder(root)).filter((p) => p.startsWith('_tmp/'))).toEqual([]);
  });

  it('wrong-hash uploads store nothing and change no record', async () => {
    const sha = sha256Of('the real content');
    const put = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'wrong', filepath: '/w', sha256: sha, file_size: 16 }),
    );
    const before = await server.store.findFile('wrong', '/w');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => c.upload(sha, `forged content ${i}`, 'wrong', '/w')),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 400));
    expect(results[0]!.json).toMatchObject({ code: 'INTEGRITY' });
    expect(await server.store.getContent(sha)).toBeNull();
    expect(await server.store.findFile('wrong', '/w')).toEqual(before);
    expect((await contentObjects(root)).some((p) => p.endsWith(sha))).toBe(false);
    expect((await filesUnder(root)).filter((p) => p.startsWith('_tmp/'))).toEqual([]);
    expect(put.json.upload_required).toBe(true);
  });

  it('good content is never overwritten by later bad bytes', async () => {
    const data = 'good';
    const sha = sha256Of(data);
    await c.call('POST', '/put_file', fileRecord({ hostname: 'keep', filepath: '/k', sha256: sha, file_size: 4 }));
    expect((await c.upload(sha, data, 'keep', '/k')).status).toBe(200);
    expect((await c.upload(sha, 'evil', 'keep', '/k')).status).toBe(400);
    expect(await readFile(join(root, contentKey(sha)), 'utf8')).toBe(data);
  });

  it('gc removes unreferenced content, orphans and stale temp objects, keeps referenced content', async () => {
    const keep = sha256Of('keep me');
    const drop = sha256Of('drop me');
    for (const [name, sha] of [
      ['keep me', keep],
      ['drop me', drop],
    ] as const) {
      await c.call(
        'POST',
        '/put_file',
        fileRecord({ hostname: 'gc', filepath: `/${name}`, sha256: sha, file_size: 7 }),
      );
      expect((await c.upload(sha, name, 'gc', `/${name}`)).status).toBe(200);
    }
    const record = await server.store.findFile('gc', '/drop me');
    expect((await c.call('DELETE', `/files/${record!.id}`)).status).toBe(200);
    const orphan = sha256Of('orphan');
    await server.backend.write(contentKey(orphan), Readable.from([Buffer.from('orphan')]));
    await server.backend.write('_tmp/left-by-a-crash', Readable.from([Buffer.from('partial')]));
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(root, '_tmp/left-by-a-crash'), old, old);
    const dry = await c.call('POST', '/admin/gc', { dry_run: true });
    expect(dry.json.deleted).toContain(drop);
    expect((await contentObjects(root)).some((p) => p.endsWith(drop))).toBe(true);
    const gc = await c.call('POST', '/admin/gc', {});
    expect(gc.status).toBe(200);
    expect(gc.json.deleted).toContain(drop);
    expect(gc.json.deleted).not.toContain(keep);
    expect(gc.json.orphans).toContain(orphan);
    expect(gc.json.tempObjects).toBeGreaterThanOrEqual(1);
    const objects = await contentObjects(root);
    expect(objects.some((p) => p.endsWith(drop))).toBe(false);
    expect(objects.some((p) => p.endsWith(orphan))).toBe(false);
    expect(objects.some((p) => p.endsWith(keep))).toBe(true);
    expect(await server.store.getContent(drop)).toBeNull();
    expect(
      (await c.call('POST', '/put_file', fileRecord({ hostname: 'gc2', filepath: '/d', sha256: drop, file_size: 7 })))
        .json.upload_required,
    ).toBe(true);
  });

  it('gc racing uploads and put_file of the same hash never loses content a record relies on', async () => {
    const data = 'contended content';
    const sha = sha256Of(data);
    for (let round = 0; round < 15; round++) {
      const path = `/race/${round}`;
      await c.call(
        'POST',
        '/put_file',
        fileRecord({ hostname: 'gcrace', filepath: path, sha256: sha, file_size: data.length }),
      );
      const [up] = await Promise.all([
        c.upload(sha, data, 'gcrace', path),
        c.call('POST', '/admin/gc', {}),
        c.call('POST', '/admin/gc', {}),
      ]);
      expect([200, 503]).toContain(up.status);
      const id = (await server.store.findFile('gcrace', path))!.id;
      const marked = (await c.call('GET', `/files/${id}`)).json.has_file_content;
      if (marked) expect((await c.call('GET', `/files/${sha}/content`)).text).toBe(data);
      if (round % 2 === 0) await c.call('DELETE', `/files/${id}`);
    }
    const held = await server.store.getContent(sha);
    if (held) expect(await readFile(join(root, contentKey(sha)), 'utf8')).toBe(data);
  });

  it.each([
    ['a copy cut short', (data: string) => data.slice(0, 10)],
    ['corrupt bytes of the same size', (data: string) => data.replace('l', 'L')],
  ])('an object no record vouches for is adopted only if it holds the content: %s is replaced', async (what, bad) => {
    const data = `left over from an upload that died (${what})`;
    const sha = sha256Of(data);
    await mkdir(join(root, contentKey(sha), '..'), { recursive: true });
    await writeFile(join(root, contentKey(sha)), bad(data));
    await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'adopt', filepath: `/${what}`, sha256: sha, file_size: data.length }),
    );
    expect((await c.upload(sha, data, 'adopt', `/${what}`)).json.outcome).toBe('stored');
    expect(await readFile(join(root, contentKey(sha)), 'utf8')).toBe(data);
    expect((await c.call('GET', `/get_file/${sha}`)).json.has_file_content).toBe(true);
  });

  it('an intact object no record vouches for (its uploader died before the record) is adopted', async () => {
    const data = 'placed, then the server stopped';
    const sha = sha256Of(data);
    await mkdir(join(root, contentKey(sha), '..'), { recursive: true });
    await writeFile(join(root, contentKey(sha)), data);
    await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'adopt', filepath: '/b', sha256: sha, file_size: data.length }),
    );
    expect((await c.upload(sha, data, 'adopt', '/b')).json.outcome).toBe('stored');
    expect((await server.store.getContent(sha))?.state).toBe('present');
    expect(await readFile(join(root, contentKey(sha)), 'utf8')).toBe(data);
  });

  it('a gc that stalled past its lease while an upload took the hash over leaves no record promising gone content', async () => {
    const data = 'uploaded again while gc stalled';
    const sha = sha256Of(data);
    const gc = server.app.get(GcService);
    // A gc claimed the (unreferenced) content, then stalled: its claim is what removeClaimed will act on.
    const lease = new Date(Date.now() + 60_000).toISOString();
    const claim = {
      sha256: sha,
      size: data.length,
      state: 'deleting' as const,
      version: 1,
      uploaded_at: lease,
      lease_until: lease,
      verified_at: null,
    };
    expect(await server.store.insertContentIfAbsent(claim)).toBe(true);
    // Meanwhile the lease ran out for everyone else: an upload dropped the stale claim and stored the content.
    expect(await server.store.deleteContentIf(sha, 1)).toBe(true);
    await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'stall', filepath: '/s', sha256: sha, file_size: data.length }),
    );
    expect((await c.upload(sha, data, 'stall', '/s')).json.outcome).toBe('stored');
    const stored = (await server.store.getContent(sha))!;
    await server.store.updateContentIf(sha, stored.version, { verified_at: new Date().toISOString() });
    // The stalled gc wakes up and deletes the object: the record must not stay "present" with nothing behind it.
    expect(await gc.removeClaimed(claim)).toBe(false);
    expect(await server.store.getContent(sha)).toBeNull();
    expect((await c.call('GET', `/get_file/${sha}`)).json.has_file_content).toBe(false);
    expect((await c.upload(sha, data, 'stall', '/s')).json.outcome).toBe('stored');
    expect(await readFile(join(root, contentKey(sha)), 'utf8')).toBe(data);
  });

  it('verify reports corrupt and missing content; repair removes it so clients upload again', async () => {
    const data = 'will be corrupted';
    const sha = sha256Of(data);
    await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'v', filepath: '/v', sha256: sha, file_size: data.length }),
    );
    await c.upload(sha, data, 'v', '/v');
    const clean = await c.call('POST', '/admin/verify', { sha256: [sha] });
    expect(clean.json).toEqual({
      checked: 1,
      ok: 1,
      missing: [],
      missingCount: 0,
      corrupt: [],
      corruptCount: 0,
      repaired: [],
      repairedCount: 0,
      unreadable: [],
      unreadableCount: 0,
      notFound: [],
      notFoundCount: 0,
      truncated: false,
    });
    await writeFile(join(root, contentKey(sha)), 'tampered on disk');
    const report = await c.call('POST', '/admin/verify', {});
    expect(report.json.corrupt).toEqual([sha]);
    expect(report.json.repaired).toEqual([]);
    const repaired = await c.call('POST', '/admin/verify', { repair: true });
    expect(repaired.json.repaired).toEqual([sha]);
    expect((await c.call('GET', `/get_file/${sha}`)).json.has_file_content).toBe(false);
    expect((await c.upload(sha, data, 'v', '/v')).json.outcome).toBe('stored');
    expect(await readFile(join(root, contentKey(sha)), 'utf8')).toBe(data);
  });

  it('verify goes on past content it cannot read, reports it unreadable and leaves it alone, even with repair', async () => {
    const [a, b] = ['readable content', 'unreadable content'];
    for (const [i, data] of [a, b].entries()) {
      await c.call(
        'POST',
        '/put_file',
        fileRecord({ hostname: 'r', filepath: `/${i}`, sha256: sha256Of(data), file_size: data.length }),
      );
      await c.upload(sha256Of(data), data, 'r', `/${i}`);
    }
    // A folder where the object should be: reading it fails, but not as missing.
    await rm(join(root, contentKey(sha256Of(b))));
    await mkdir(join(root, contentKey(sha256Of(b))));
    const report = await c.call('POST', '/admin/verify', { sha256: [sha256Of(b), sha256Of(a)], repair: true });
    expect(report.status).toBe(200);
    expect(report.json).toEqual({
      checked: 2,
      ok: 1,
      missing: [],
      missingCount: 0,
      corrupt: [],
      corruptCount: 0,
      repaired: [],
      repairedCount: 0,
      unreadable: [sha256Of(b)],
      unreadableCount: 1,
      notFound: [],
      notFoundCount: 0,
      truncated: false,
    });
    expect((await server.store.getContent(sha256Of(b)))?.state).toBe('present');
    await rm(join(root, contentKey(sha256Of(b))), { recursive: true });
  });

  // 4 MiB is hashed on the event loop, 16 MiB on the hashing thread.
  it.each([4, 16])(
    'a client that disconnects mid-upload (%i MiB) leaves nothing behind, the server keeps serving',
    async (mib) => {
      const data = Buffer.alloc(mib * 1024 * 1024, 7);
      const sha = sha256Of(data);
      await new Promise<void>((resolve) => {
        const req = request(`${server.url}/files/${sha}/content`, {
          method: 'PUT',
          headers: {
            'x-api-key': server.key,
            'content-type': 'application/octet-stream',
            'content-length': String(data.length),
          },
        });
        req.on('error', () => resolve());
        req.write(data.subarray(0, 1024 * 1024), () => setTimeout(() => (req.destroy(), resolve()), 100));
      });
      // The server notices the cut connection asynchronously: give it up to 5 s (a loaded CI machine) to clean up.
      const tmpFiles = async () => (await filesUnder(root)).filter((p) => p.startsWith('_tmp/'));
      for (const started = Date.now(); (await tmpFiles()).length > 0 && Date.now() - started < 5000;)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await c.call('GET', '/health')).status).toBe(200);
      expect(await server.store.getContent(sha)).toBeNull();
      expect(await tmpFiles()).toEqual([]);
    },
  );

  it('refuses uploads past the size limit with 413 and stores nothing', async () => {
    const small = await startServer({ maxUploadBytes: 1024 });
    try {
      const data = 'x'.repeat(4096);
      const sha = sha256Of(data);
      const sc = client(small.url, small.key);
      await sc.call(
        'POST',
        '/put_file',
        fileRecord({ hostname: 'big', filepath: '/big', sha256: sha, file_size: 4096 }),
      );
      const res = await sc.upload(sha, data, 'big', '/big');
      expect(res.status).toBe(413);
      expect(res.json.code).toBe('TOO_LARGE');
      const raw = await fetch(`${small.url}/files/${sha}/content`, {
        method: 'PUT',
        headers: { 'x-api-key': small.key, 'content-type': 'application/octet-stream' },
        body: data,
      });
      expect(raw.status).toBe(413);
      expect(await small.store.getContent(sha)).toBeNull();
      expect((await filesUnder(join(small.dir, 'content'))).filter((p) => !p.startsWith('.'))).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
