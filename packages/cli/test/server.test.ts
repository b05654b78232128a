import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@org/test-services';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { countingProxy } from './helpers/counting-proxy.js';
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

describe('ufs serve', () => {
  it('starts with embedded defaults under the data directory and prints a bootstrap key once', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.apiKey).toMatch(/^[0-9a-f]{64}$/);
    expect(server.dataDir).toBe(join(box.env.XDG_DATA_HOME!, 'ufs'));
    expect(existsSync(join(server.dataDir, 'ufs.db'))).toBe(true);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string };
    expect(health.status).toBe('healthy');
  });

  it('a second server on the same data keeps its keys: no new bootstrap key', async () => {
    const other = await serve([], box.env);
    try {
      expect(other.apiKey).toBeUndefined();
    } finally {
      expect(await other.stop()).toBe(0);
    }
  });
  it('--mongodb with no server answering: exit 69 and one line naming the host, never the password', async () => {
    const port = await freePort();
    const uri = `mongodb://bob:s3cret@127.0.0.1:${port}/ufs?serverSelectionTimeoutMS=300`;
    const run = await ufs(['serve', '--port', '0', '--mongodb', uri], { env: box.env });
    expect(run.status).toBe(69);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^\\[ufs\\] cannot reach MongoDB at mongodb://127\\.0\\.0\\.1:${port}/ufs\\?.*ECONNREFUSED`),
      ),
    ]);
    expect(run.stderr).not.toContain('s3cret');
  });

  it('a port in use: exit 70 and one line naming the address (no Nest log); the key is not used up', async () => {
    const dir = join(box.dir, 'busy-port');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = holder.address() as { port: number };
      const run = await ufs(['serve', '--port', String(port), '--data-dir', dir], { env: box.env });
      expect(run.status).toBe(70);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toEqual([
        `[ufs] serve: cannot listen on 127.0.0.1:${port}: the address is already in use (another server listens there; choose another --port)`,
      ]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    // the failed start created no key: the first start that listens prints the bootstrap key
    const next = await serve(['--data-dir', dir], box.env);
    try {
      expect(next.apiKey).toMatch(/^[0-9a-f]{64}$/);
      const res = await fetch(`${next.url}/api_keys`, { headers: { 'x-api-key': next.apiKey! } });
      expect(res.status).toBe(200);
    } finally {
      await next.stop();
    }
  });

  it('--data-dir or --content that is a file: exit 64 and one line naming the path', async () => {
    const file = join(box.dir, 'a-file');
    await writeFile(file, 'not a folder\n');
    const cases: Array<[string[], string]> = [
      [['--data-dir', file], `[ufs] --data-dir "${file}" is a file, not a folder`],
      [['--data-dir', join(file, 'below')], `[ufs] --data-dir "${join(file, 'below')}" is below a file, not a folder`],
      [
        ['--data-dir', join(box.dir, 'content-file'), '--content', file],
        `[ufs] --content "${file}" is a file: give a folder or a storage URL`,
      ],
    ];
    // All refused before anything is created: at the same time.
    const [runs, bootstrap] = await Promise.all([
      Promise.all(cases.map(([args]) => ufs(['serve', '--port', '0', ...args], { env: box.env }))),
      ufs(['server', 'key', 'create', 'k', '--bootstrap', '--data-dir', file], { env: box.env }),
    ]);
    for (const [i, [, line]] of cases.entries()) {
      const run = runs[i]!;
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr.trim().split('\n') }).toEqual({
        status: 64,
        stdout: '',
        stderr: [line],
      });
    }
    expect(bootstrap.status).toBe(64);
    expect(bootstrap.stderr).toContain(file);
  });

  it("--mongodb with a URI that is not MongoDB's: exit 78 and one line saying why", async () => {
    const run = await ufs(['serve', '--port', '0', '--mongodb', 'postgres://bob:s3cret@db/ufs'], { env: box.env });
    expect(run.status).toBe(78);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^\[ufs\] invalid MongoDB URI postgres:\/\/db\/ufs: Invalid scheme/),
    ]);
  });
});

describe('ufs server key', () => {
  let created: { api_key: string; _id: string };

  it('create prints only the key; the key works', async () => {
    const [run, json] = await Promise.all([
      ufs(['server', 'key', 'create', 'laptop', '-d', 'scanner'], { env: admin }),
      ufs(['server', 'key', 'create', 'second', '--json'], { env: admin }),
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    created = json.json();
    expect(created).toMatchObject({ name: 'second', scopes: ['read', 'write'] });
    const res = await fetch(`${server.url}/api_keys`, { headers: { 'x-api-key': created.api_key } });
    expect(res.status).toBe(403); // a read/write key is no admin
  });

  it('--scope repeats (the name may follow it) or takes a comma-separated list', async () => {
    const [repeated, one, listed, bad] = await Promise.all([
      ufs(['server', 'key', 'create', '--scope', 'read', '--scope', 'write', 'rw', '--json'], { env: admin }),
      ufs(['server', 'key', 'create', '--scope', 'read', 'reader', '--json'], { env: admin }),
      ufs(['server', 'key', 'create', 'ra', '--scope', 'read,admin', '--json'], { env: admin }),
      ufs(['server', 'key', 'create', '--scope', 'root', 'x'], { env: admin }),
    ]);
    expect(repeated.status).toBe(0);
    expect(repeated.json()).toMatchObject({ name: 'rw', scopes: ['read', 'write'] });
    expect(one.json()).toMatchObject({ name: 'reader', scopes: ['read'] });
    expect(listed.json()).toMatchObject({ name: 'ra', scopes: ['read', 'admin'] });
    expect(bad.status).toBe(64);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('root');
  });

  it('list shows the keys, never the secrets', async () => {
    const [run, listJson] = await Promise.all([
      ufs(['server', 'key', 'list'], { env: admin }),
      ufs(['server', 'key', 'list', '--json'], { env: admin }),
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\blaptop\s+active\s+read,write/);
    expect(run.stdout).not.toContain(created.api_key);
    const keys = listJson.json<Array<{ name: string }>>();
    expect(keys.map((k) => k.name).sort()).toEqual(['bootstrap', 'laptop', 'ra', 'reader', 'rw', 'second']);
  });

  it('revoke makes the key fail with 401; --delete removes it; an unknown id is 66', async () => {
    expect((await ufs(['server', 'key', 'revoke', created._id], { env: admin })).status).toBe(0);
    const res = await fetch(`${server.url}/get_file/${'0'.repeat(64)}`, { headers: { 'x-api-key': created.api_key } });
    expect(res.status).toBe(401);
    expect((await ufs(['server', 'key', 'revoke', '--delete', created._id], { env: admin })).status).toBe(0);
    const missing = await ufs(['server', 'key', 'revoke', created._id], { env: admin });
    expect(missing.status).toBe(66);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--bootstrap writes a key straight into a store on disk', async () => {
    const dir = join(box.dir, 'other-data');
    const run = await ufs(['server', 'key', 'create', 'first', '--bootstrap', '--data-dir', dir], { env: box.env });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(run.stderr).toContain('scopes read,write,admin');
    const other = await serve(['--data-dir', dir], box.env);
    try {
      expect(other.apiKey).toBeUndefined(); // it already has a key
      const res = await fetch(`${other.url}/api_keys`, { headers: { 'x-api-key': run.stdout.trim() } });
      expect(res.status).toBe(200);
    } finally {
      await other.stop();
    }
  });

  it('refuses without a server or key, and with a wrong key', async () => {
    const [none, wrong] = await Promise.all([
      ufs(['server', 'key', 'list'], { env: box.env }),
      ufs(['server', 'key', 'list', '--api-key', 'f'.repeat(64)], { env: admin }),
    ]);
    expect(none.status).toBe(78);
    expect(none.stderr).toContain('no server given');
    expect(wrong.status).toBe(77);
  });
});

describe('ufs server gc / verify', () => {
  it('gc reports (dry run and real) and verify checks held content', async () => {
    const dry = await ufs(['server', 'gc', '--dry-run', '--grace', '0', '--json'], { env: admin });
    expect(dry.status).toBe(0);
    expect(dry.json()).toMatchObject({ dryRun: true, deleted: [] });
    const real = await ufs(['server', 'gc', '--grace', '0'], { env: admin });
    expect(real.status).toBe(0);
    expect(real.stdout).toMatch(/^scanned \d+ contents; removed 0 unreferenced/);
    const verify = await ufs(['server', 'verify', '--json'], { env: admin });
    expect(verify.status).toBe(0);
    expect(verify.json()).toMatchObject({ missing: [], corrupt: [] });
  });

  it('verify of held and unknown hashes: the server names the unknown ones (no HEADs); 66; a lone unknown hash is 404', async () => {
    const dir = join(box.dir, 'held');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'held.txt'), 'held\n');
    expect((await ufs(['scan', '--no-cache', dir], { env: admin })).status).toBe(0);
    const held = createHash('sha256').update('held\n').digest('hex');
    const unknown = ['ab'.repeat(32), 'ef'.repeat(32)];
    const proxy = await countingProxy(server.url);
    try {
      const via = { ...admin, UFS_SERVER: proxy.url };
      const [run, json] = await Promise.all([
        ufs(['server', 'verify', unknown[0]!, held, unknown[1]!], { env: via }),
        ufs(['server', 'verify', '--json', held, ...unknown], { env: via }),
      ]);
      expect(run.status).toBe(66);
      expect(run.stdout.trim()).toBe('checked 1: 1 ok, 0 missing, 0 corrupt, 0 repaired, 0 unreadable, 2 not found');
      expect(run.stderr.trim().split('\n')).toEqual(
        unknown.map((sha) => `not found (the server holds no such content): ${sha}`),
      );
      expect(json.status).toBe(66);
      expect(json.json()).toMatchObject({ checked: 1, ok: 1, notFound: unknown, notFoundCount: 2 });
      // The report named them: the CLI asked the server nothing else.
      expect(proxy.requests).toEqual({ 'POST /admin': 2 });
    } finally {
      await proxy.close();
    }
    const [lone, text, heldOnly] = await Promise.all([
      ufs(['server', 'verify', '--json', unknown[0]!], { env: admin }),
      ufs(['server', 'verify', unknown[0]!], { env: admin }),
      ufs(['server', 'verify', held], { env: admin }),
    ]);
    expect(lone.status).toBe(66);
    expect(JSON.stringify(lone.json())).toContain(unknown[0]);
    expect(text.status).toBe(66);
    expect(text.stderr).toContain(unknown[0]);
    expect(text.stderr).not.toMatch(/^\s+at /m);
    expect(heldOnly.status).toBe(0);
  });

  it('verify of more unknown hashes than the server lists prints the exact count and says the list was cut', async () => {
    // Its own held content: the test runs alone too (-t).
    const dir = join(box.dir, 'held-cut');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'held.txt'), 'held for the cut list\n');
    expect((await ufs(['scan', '--no-cache', dir], { env: admin })).status).toBe(0);
    const held = createHash('sha256').update('held for the cut list\n').digest('hex');
    const unknown = Array.from({ length: 1003 }, (_, i) => createHash('sha256').update(`not held ${i}`).digest('hex'));
    const [run, json] = await Promise.all([
      ufs(['server', 'verify', held, ...unknown], { env: admin }),
      ufs(['server', 'verify', '--json', held, ...unknown], { env: admin }),
    ]);
    expect(run.status).toBe(66);
    expect(run.stdout.trim()).toBe('checked 1: 1 ok, 0 missing, 0 corrupt, 0 repaired, 0 unreadable, 1003 not found');
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toContain('the counts above are exact');
    expect(lines.slice(1)).toEqual(
      unknown.slice(0, 1000).map((sha) => `not found (the server holds no such content): ${sha}`),
    );
    expect(json.json()).toMatchObject({ notFoundCount: 1003, truncated: true });
  });

  it('verify against an older server that leaves unknown hashes out of its report: HEADs, 8 at a time; 66, named', async () => {
    const hash = (i: number) => createHash('sha256').update(`old ${i}`).digest('hex');
    const asked = Array.from({ length: 20 }, (_, i) => hash(i));
    const held = new Set([asked[3]!, asked[10]!, asked[17]!]);
    const unreadable = asked[5]!;
    const unknown = asked.filter((sha) => !held.has(sha) && sha !== unreadable);
    // What such a server answers: the report of what it checked (the held hashes, one unreadable), without the
    // unknown ones; HEAD of the content: 200 if held, else 404.
    const heads: string[] = [];
    const old = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/admin/verify') {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(`{"checked":4,"ok":3,"missing":[],"corrupt":[],"repaired":[],"unreadable":["${unreadable}"]}`);
          return;
        }
        const sha = /^\/files\/([0-9a-f]{64})\/content$/.exec(req.url ?? '')?.[1];
        if (req.method === 'HEAD' && sha) heads.push(sha);
        if (req.method === 'HEAD' && sha && held.has(sha)) res.writeHead(200, { 'content-length': '4' }).end();
        else res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"no such content"}');
      });
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    // Every answer held back a while: HEADs sent one after another would never overlap.
    const proxy = await countingProxy(`http://127.0.0.1:${(old.address() as { port: number }).port}`, {
      delayMs: 150,
    });
    try {
      const run = await ufs(['server', 'verify', '--server', proxy.url, ...asked], { env: admin });
      expect(run.status).toBe(66);
      expect(run.stdout.trim()).toBe(
        `checked 4: 3 ok, 0 missing, 0 corrupt, 0 repaired, 1 unreadable, ${unknown.length} not found`,
      );
      expect(run.stderr.trim().split('\n')).toEqual([
        `unreadable (see the server log): ${unreadable}`,
        ...unknown.map((sha) => `not found (the server holds no such content): ${sha}`),
      ]);
      // One HEAD for each hash the report did not name, none for the listed one; several at once, at most 8.
      expect([...heads].sort()).toEqual(asked.filter((sha) => sha !== unreadable).sort());
      expect(proxy.requests['HEAD /files']).toBe(19);
      expect(proxy.peak['HEAD /files']).toBeGreaterThan(1);
      expect(proxy.peak['HEAD /files']).toBeLessThanOrEqual(8);
      heads.length = 0;
      const json = await ufs(['server', 'verify', '--server', proxy.url, '--json', ...asked], { env: admin });
      expect(json.status).toBe(66);
      expect(json.json()).toMatchObject({ checked: 4, notFound: unknown, notFoundCount: unknown.length });
      expect(heads).toHaveLength(19);
    } finally {
      await proxy.close();
      old.closeAllConnections();
      await new Promise((resolve) => old.close(resolve));
    }
  });
  it('gc and verify print the exact counts of a report whose lists the server cut; unrepaired past the lists is 65', async () => {
    const listed = 'ab'.repeat(32);
    const reports: Record<string, unknown> = {
      '/admin/verify': {
        checked: 2000,
        ok: 500,
        missing: [listed],
        corrupt: [],
        repaired: [listed],
        unreadable: [],
        missingCount: 1500,
        corruptCount: 0,
        repairedCount: 1000,
        unreadableCount: 0,
        truncated: true,
      },
      '/admin/gc': {
        scanned: 6000,
        dryRun: true,
        deleted: [listed],
        orphans: [],
        tempObjects: 0,
        expiredUploads: 0,
        deletedCount: 5000,
        orphansCount: 0,
        truncated: true,
      },
    };
    const fake = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reports[req.url ?? '']));
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
      const [verify, gc] = await Promise.all([
        ufs(['server', 'verify', '--server', url], { env: admin }),
        ufs(['server', 'gc', '--server', url, '--dry-run'], { env: admin }),
      ]);
      expect(verify.stdout.trim()).toBe('checked 2000: 500 ok, 1500 missing, 0 corrupt, 1000 repaired, 0 unreadable');
      expect(verify.stderr).toContain('the counts above are exact');
      expect(verify.status).toBe(65); // 1500 missing, 1000 repaired: the first list alone would say all were repaired
      expect(gc.status).toBe(0);
      expect(gc.stdout).toContain('would remove 5000 unreferenced, 0 orphan objects');
    } finally {
      fake.closeAllConnections();
      await new Promise((resolve) => fake.close(resolve));
    }
  });
});
