import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countingProxy } from './helpers/counting-proxy.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string }>;
}

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let env: Record<string, string>;
let tree: string;
const big = randomBytes(300_000);
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function records(
  hostname: string,
): Promise<Array<{ filepath: string; sha256: string; has_file_content: boolean; is_symlink: boolean }>> {
  const res = await fetch(`${server.url}/files?hostname=${hostname}&limit=1000`, {
    headers: { 'x-api-key': server.apiKey! },
  });
  return ((await res.json()) as { items: never[] }).items;
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve(['--max-upload', '1MiB'], box.env);
  env = { ...box.env, UFS_SERVER: server.url, UFS_API_KEY: server.apiKey! };
  tree = join(box.dir, 'tree');
  await mkdir(join(tree, 'docs/deep'), { recursive: true });
  await mkdir(join(tree, 'node_modules/pkg'), { recursive: true });
  await writeFile(join(tree, 'docs/a.txt'), 'alpha\n');
  await writeFile(join(tree, 'docs/deep/b.txt'), 'bravo\n');
  await writeFile(join(tree, 'copy-of-a.txt'), 'alpha\n');
  await writeFile(join(tree, 'empty.txt'), '');
  await writeFile(join(tree, 'big.bin'), big);
  await writeFile(join(tree, 'debug.log'), 'ignored by .ufsignore\n');
  await writeFile(join(tree, '.ufsignore'), '*.log\n');
  await writeFile(join(tree, 'node_modules/pkg/index.js'), 'excluded by flag\n');
  await symlink('docs/a.txt', join(tree, 'link-to-a'));
});
afterAll(async () => {
  await server?.stop();
  await box.cleanup();
});

describe('ufs scan', () => {
  it('--dry-run walks and hashes without a server, honouring excludes and .ufsignore', async () => {
    const run = await ufs(['scan', '--dry-run', '--no-cache', '-x', 'node_modules/', '--json', tree], { env: box.env });
    expect(run.status).toBe(0);
    const { stats } = run.json<ScanJson>();
    // a.txt, b.txt, copy-of-a.txt, empty.txt, big.bin, .ufsignore
    expect(stats).toMatchObject({ files: 6, symlinks: 1, hashed: 6, cached: 0, sent: 0, failed: 0 });
    expect(stats.bytes).toBe(6 + 6 + 6 + 0 + big.length + 6);
  });

  it('a folder of more files than one walk step (1,000) is scanned whole, every file once', async () => {
    const wide = join(box.dir, 'wide');
    await mkdir(wide, { recursive: true });
    await Promise.all(Array.from({ length: 2500 }, (_, i) => writeFile(join(wide, `f${i}.txt`), `file ${i % 1250}\n`)));
    await symlink('f0.txt', join(wide, 'link'));
    const cache = join(box.dir, 'wide-cache.sqlite');
    const run = await ufs(['scan', '--dry-run', '--cache', cache, '--json', wide], { env: box.env });
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 2500, symlinks: 1, hashed: 2500, failed: 0 });
    const rescan = await ufs(['scan', '--dry-run', '--cache', cache, '--json', wide], { env: box.env });
    expect(rescan.json<ScanJson>().stats).toMatchObject({ files: 2500, symlinks: 1, cached: 2500, hashed: 0 });
    const db = new Database(cache, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM file_hashes WHERE dir = ?').pluck().get(wide)).toBe(2500);
    db.close();
  });

  it('a cache from before hashes were kept by folder is migrated: its hashes are used, nothing is read again', async () => {
    const file = join(box.dir, 'migrate', 'kept.txt');
    await mkdir(join(box.dir, 'migrate'), { recursive: true });
    await writeFile(file, 'kept\n');
    const st = await lstat(file, { bigint: true });
    const cachePath = join(box.dir, 'old-cache.sqlite');
    const old = new Database(cachePath);
    old.exec(`CREATE TABLE files (path TEXT PRIMARY KEY, size TEXT NOT NULL, mtime_ns TEXT NOT NULL, ino TEXT NOT NULL,
      dev TEXT NOT NULL, sha256 TEXT NOT NULL, hashed_at INTEGER NOT NULL)`);
    old
      .prepare('INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(file, String(st.size), String(st.mtimeNs), String(st.ino), String(st.dev), sha('kept\n'), Date.now());
    old.close();
    const run = await ufs(['scan', '--dry-run', '--cache', cachePath, '--json', join(box.dir, 'migrate')], {
      env: box.env,
    });
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 1, cached: 1, hashed: 0 });
    const db = new Database(cachePath, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).not.toContain('files');
    expect(db.prepare('SELECT dir, name, sha256 FROM file_hashes').all()).toEqual([
      { dir: join(box.dir, 'migrate'), name: 'kept.txt', sha256: sha('kept\n') },
    ]);
    db.close();
  });

  it('--follow-symlinks hashes link targets as files; a forced progress display goes to stderr', async () => {
    const run = await ufs(['scan', '-n', '--no-cache', '-L', '-x', 'node_modules/', tree], {
      env: { ...box.env, UFS_PROGRESS: '1' },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^files:\s+7 /m);
    expect(run.stdout).toMatch(/^symlinks:\s+0$/m);
    expect(run.stderr).toMatch(/^scan: \d+ files .*\| hashed \d+/m);
    expect(run.stdout).not.toContain('scan:');
  });

  it('catalogues the tree, uploads each new content once, and prints a summary', async () => {
    const run = await ufs(['scan', '--hostname', 'host1', '-x', 'node_modules/', '--tus-threshold', '200KiB', tree], {
      env,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^files:\s+6 /m);
    expect(run.stdout).toMatch(/^new:\s+4$/m); // a.txt, b.txt, big.bin, .ufsignore (empty needs no upload)
    expect(run.stdout).toMatch(/^deduplicated:\s+2$/m); // copy-of-a.txt and empty.txt
    expect(run.stdout).toMatch(/^uploaded:\s+4 /m);
    expect(run.stdout).toMatch(/^failed:\s+0$/m);
    const recs = await records('host1');
    expect(recs).toHaveLength(7);
    const byPath = Object.fromEntries(recs.map((r) => [r.filepath, r]));
    expect(byPath[join(tree, 'big.bin')]).toMatchObject({ sha256: sha(big), has_file_content: true });
    expect(byPath[join(tree, 'copy-of-a.txt')]).toMatchObject({ sha256: sha('alpha\n'), has_file_content: true });
    expect(byPath[join(tree, 'link-to-a')]).toMatchObject({ is_symlink: true });
    const content = await fetch(`${server.url}/files/${sha(big)}/content`, {
      headers: { 'x-api-key': server.apiKey! },
    });
    expect(Buffer.from(await content.arrayBuffer()).equals(big)).toBe(true);
  });

  it('a second run reads nothing again (cache), sends nothing (the server holds it all) and uploads nothing', async () => {
    const run = await ufs(['scan', '--hostname', 'host1', '-x', 'node_modules/', '--json', tree], { env });
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({
      files: 6,
      symlinks: 1,
      cached: 6,
      hashed: 0,
      unchanged: 6,
      sent: 0,
      new: 0,
      uploaded: 0,
      deduplicated: 0,
    });
    await writeFile(join(tree, 'docs/a.txt'), 'alpha changed\n');
    const changed = await ufs(['scan', '--hostname', 'host1', '-x', 'node_modules/', '--json', tree], { env });
    expect(changed.json<ScanJson>().stats).toMatchObject({
      cached: 5,
      hashed: 1,
      unchanged: 5,
      sent: 1,
      new: 1,
      uploaded: 1,
    });
    const again = await ufs(['scan', '--hostname', 'host1', '-x', 'node_modules/', tree], { env });
    expect(again.stdout).toMatch(/^unchanged:\s+6 \(already on the server, not sent\)$/m);
    expect(again.stdout).toMatch(/^uploaded:\s+0 /m);
    const recs = await records('host1');
    expect(recs.find((r) => r.filepath === join(tree, 'docs/a.txt'))!.sha256).toBe(sha('alpha changed\n'));
  });

  it('resumes an interrupted tus upload from the offset the server holds', async () => {
    const file = join(box.dir, 'resume', 'large.bin');
    await mkdir(join(box.dir, 'resume'), { recursive: true });
    const bytes = randomBytes(600_000);
    await writeFile(file, bytes);
    const digest = sha(bytes);
    // An earlier run got the first 400,000 bytes through before it died.
    const b64 = Buffer.from(digest).toString('base64');
    const created = await fetch(`${server.url}/tus`, {
      method: 'POST',
      headers: {
        'x-api-key': server.apiKey!,
        'tus-resumable': '1.0.0',
        'upload-length': String(bytes.length),
        'upload-metadata': `sha256 ${b64}`,
      },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get('location')!, server.url).href;
    const patched = await fetch(location, {
      method: 'PATCH',
      headers: {
        'x-api-key': server.apiKey!,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes.subarray(0, 400_000),
    });
    expect(patched.status).toBe(204);
    const proxy = await countingProxy(server.url);
    try {
      const cachePath = join(box.dir, 'resume-cache.sqlite');
      // the cache remembers that upload as the previous run left it (same URL the proxy forwards)
      const first = await ufs(['scan', '--dry-run', '--cache', cachePath, file], { env });
      expect(first.status).toBe(0);
      const db = new Database(cachePath);
      db.prepare('INSERT INTO tus_uploads (server, sha256, url, created_at) VALUES (?, ?, ?, ?)').run(
        proxy.url,
        digest,
        location.replace(server.url, proxy.url),
        Date.now(),
      );
      db.close();
      const run = await ufs(
        [
          'scan',
          '--hostname',
          'host2',
          '--server',
          proxy.url,
          '--cache',
          cachePath,
          '--tus-threshold',
          '100KiB',
          '--json',
          file,
        ],
        { env },
      );
      expect(run.status).toBe(0);
      expect(run.json<ScanJson>().stats).toMatchObject({ new: 1, uploaded: 1, failed: 0 });
      expect(proxy.bytes.PATCH).toBe(200_000); // only the missing part was sent
      const left = new Database(cachePath);
      expect(left.prepare('SELECT COUNT(*) AS n FROM tus_uploads').get()).toEqual({ n: 0 });
      left.close();
    } finally {
      await proxy.close();
    }
    const content = await fetch(`${server.url}/files/${digest}/content`, { headers: { 'x-api-key': server.apiKey! } });
    expect(sha(Buffer.from(await content.arrayBuffer()))).toBe(digest);
  });

  it('failed uploads are counted, reported on one line each, and set the exit status', async () => {
    const dir = join(box.dir, 'toolarge');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'huge.bin'), randomBytes(1_100_000)); // over the server's 1 MiB limit
    await writeFile(join(dir, 'fine.txt'), 'fine\n');
    const run = await ufs(['scan', '--hostname', 'host3', '--no-cache', dir], { env });
    expect(run.status).toBe(65); // TOO_LARGE
    expect(run.stdout).toMatch(/^failed:\s+1$/m);
    expect(run.stdout).toMatch(/^uploaded:\s+1 /m);
    expect(run.stderr).toMatch(/huge\.bin.*413/);
  });

  it('a wrong API key stops the scan with 77 and one line; no server is 78', async () => {
    const run = await ufs(['scan', '--api-key', 'f'.repeat(64), '--no-cache', tree], { env });
    expect(run.status).toBe(77);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    const none = await ufs(['scan', tree], { env: box.env });
    expect(none.status).toBe(78);
    const closed = await import('node:net').then(
      ({ createServer }) =>
        new Promise<number>((resolve) => {
          const probe = createServer().listen(0, '127.0.0.1', () => {
            const { port } = probe.address() as { port: number };
            probe.close(() => resolve(port));
          });
        }),
    );
    const down = await ufs(['scan', '--server', `http://127.0.0.1:${closed}`, '--no-cache', tree], { env });
    expect(down.status).toBe(69); // UNAVAILABLE: stops at the first batch instead of failing every one
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toContain('connection refused');
  });

  it('server verify finds corrupt content (65) and --repair makes the next scan upload it again', async () => {
    const digest = sha('bravo\n');
    await writeFile(join(server.dataDir, 'content', digest.slice(0, 2), digest), 'tampered');
    const admin = { ...env };
    const verify = await ufs(['server', 'verify', digest], { env: admin });
    expect(verify.status).toBe(65);
    expect(verify.stderr).toContain(`corrupt: ${digest}`);
    const repair = await ufs(['server', 'verify', '--repair', '--json', digest], { env: admin });
    expect(repair.status).toBe(0);
    expect(repair.json()).toMatchObject({ repaired: [digest] });
    const rescan = await ufs(['scan', '--hostname', 'host1', '-x', 'node_modules/', '--json', tree], { env });
    expect(rescan.json<ScanJson>().stats).toMatchObject({ new: 1, uploaded: 1 });
  });

  it('server verify reports content it cannot read (69), repairs nothing of it, and checks the rest', async () => {
    const digest = sha('bravo\n');
    const object = join(server.dataDir, 'content', digest.slice(0, 2), digest);
    const bytes = await readFile(object);
    await rm(object);
    await mkdir(object); // a folder where the object should be: unreadable, not missing
    try {
      const verify = await ufs(['server', 'verify', '--repair'], { env });
      expect(verify.status).toBe(69);
      expect(verify.stdout).toMatch(/0 missing, 0 corrupt, 0 repaired, 1 unreadable/);
      expect(verify.stderr).toContain(`unreadable (see the server log): ${digest}`);
    } finally {
      await rm(object, { recursive: true });
      await writeFile(object, bytes);
    }
    expect((await ufs(['server', 'verify', digest], { env })).status).toBe(0);
  });
});
