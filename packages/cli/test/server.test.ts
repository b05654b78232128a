import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@org/test-services';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
    expect(existsSync(join(server.dataDir, 'metadata.sqlite'))).toBe(true);
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
    const run = await ufs(['server', 'key', 'create', 'laptop', '-d', 'scanner'], { env: admin });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    const json = await ufs(['server', 'key', 'create', 'second', '--json'], { env: admin });
    created = json.json();
    expect(created).toMatchObject({ name: 'second', scopes: ['read', 'write'] });
    const res = await fetch(`${server.url}/api_keys`, { headers: { 'x-api-key': created.api_key } });
    expect(res.status).toBe(403); // a read/write key is no admin
  });

  it('list shows the keys, never the secrets', async () => {
    const run = await ufs(['server', 'key', 'list'], { env: admin });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\blaptop\s+active\s+read,write/);
    expect(run.stdout).not.toContain(created.api_key);
    const keys = (await ufs(['server', 'key', 'list', '--json'], { env: admin })).json<Array<{ name: string }>>();
    expect(keys.map((k) => k.name).sort()).toEqual(['bootstrap', 'laptop', 'second']);
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
    const none = await ufs(['server', 'key', 'list'], { env: box.env });
    expect(none.status).toBe(78);
    expect(none.stderr).toContain('no server given');
    const wrong = await ufs(['server', 'key', 'list', '--api-key', 'f'.repeat(64)], { env: admin });
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
});
