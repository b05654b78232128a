import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, open, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

// The scan's hash cache across an upgrade and on a shared machine: a row written before the cache kept ctimes is
// trusted once only when the file's inode did not change after the row was written (a rewrite in place keeping size
// and mtime is hashed again), and the cache (it holds every scanned path) is created private. Real `ufs scan
// --dry-run` processes on temp folders.

interface ScanJson {
  stats: Record<string, number>;
}

let box: Awaited<ReturnType<typeof sandbox>>;
const sha = (b: string) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => {
  await box.cleanup();
});

/** A cache as ufs wrote it before ctimes were kept (the file_hashes table without ctime_ns), holding `rows`. */
function cacheWithoutCtime(path: string, rows: Array<{ file: string; sha256: string; hashedAt: number }>) {
  return (async () => {
    const db = new Database(path);
    db.exec(`CREATE TABLE file_hashes (
      dir TEXT NOT NULL, name TEXT NOT NULL, size TEXT NOT NULL, mtime_ns TEXT NOT NULL, ino TEXT NOT NULL,
      dev TEXT NOT NULL, sha256 TEXT NOT NULL, hashed_at INTEGER NOT NULL, PRIMARY KEY (dir, name)) WITHOUT ROWID`);
    const put = db.prepare('INSERT INTO file_hashes VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (const { file, sha256, hashedAt } of rows) {
      const st = await lstat(file, { bigint: true });
      const [dir, name] = [file.slice(0, file.lastIndexOf('/')), file.slice(file.lastIndexOf('/') + 1)];
      put.run(dir, name, String(st.size), String(st.mtimeNs), String(st.ino), String(st.dev), sha256, hashedAt);
    }
    db.close();
  })();
}

describe('ufs scan: a cache row from before ctimes were kept', () => {
  it('a file rewritten in place (same size, mtime put back) after the row was written is hashed again', async () => {
    const root = join(box.dir, 'upgrade');
    await mkdir(root, { recursive: true });
    const [rewritten, untouched] = [join(root, 'rewritten.txt'), join(root, 'untouched.txt')];
    await writeFile(rewritten, 'AAAA');
    await writeFile(untouched, 'kept');
    const old = new Date('2024-01-01T00:00:00Z');
    await utimes(rewritten, old, old);
    const cache = join(box.dir, 'upgrade-cache.sqlite');
    // Both rows written now, by the old version (hashed_at: now); `rewritten` is then rewritten in place.
    const hashedAt = Date.now();
    await cacheWithoutCtime(cache, [
      { file: rewritten, sha256: sha('AAAA'), hashedAt },
      { file: untouched, sha256: sha('kept'), hashedAt },
    ]);
    // Its ctime must fall after the row's hashed_at (ms): wait for the clock to pass it (not an assertion on time).
    while (Date.now() <= hashedAt + 5) await new Promise((r) => setTimeout(r, 5));
    const before = await stat(rewritten, { bigint: true });
    const handle = await open(rewritten, 'r+');
    await handle.write('BBBB', 0);
    await handle.close();
    await utimes(rewritten, old, old);
    const after = await stat(rewritten, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);

    const run = await ufs(['scan', '--dry-run', '--cache', cache, '--json', root], { env: box.env });
    expect(run.status).toBe(0);
    // The untouched file is trusted (once, its ctime written in); the rewritten one is read again.
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 2, cached: 1, hashed: 1 });
    const db = new Database(cache, { readonly: true });
    const rows = db.prepare('SELECT name, sha256, ctime_ns FROM file_hashes ORDER BY name').all();
    db.close();
    expect(rows).toEqual([
      { name: 'rewritten.txt', sha256: sha('BBBB'), ctime_ns: String(after.ctimeNs) },
      {
        name: 'untouched.txt',
        sha256: sha('kept'),
        ctime_ns: String((await stat(untouched, { bigint: true })).ctimeNs),
      },
    ]);
    // And the next scan reads nothing again.
    const again = await ufs(['scan', '--dry-run', '--cache', cache, '--json', root], { env: box.env });
    expect(again.json<ScanJson>().stats).toMatchObject({ files: 2, cached: 2, hashed: 0 });
  });
});

describe('ufs scan: the cache is created private', () => {
  it('its folder 0700 and the file 0600 when the scan creates them; existing ones keep their mode', async () => {
    const root = join(box.dir, 'private');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'a.txt'), 'private\n');
    const env = { ...box.env, XDG_CACHE_HOME: join(box.dir, 'fresh-cache') };
    const run = await ufs(['scan', '--dry-run', root], { env });
    expect(run.status).toBe(0);
    const folder = join(box.dir, 'fresh-cache', 'ufs');
    const file = join(folder, 'scan-cache.sqlite');
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    // An existing folder and file (a --cache the user made) are not changed.
    const shared = join(box.dir, 'shared');
    await mkdir(shared, { recursive: true });
    await chmod(shared, 0o755);
    const own = join(shared, 'mine.sqlite');
    await writeFile(own, '');
    await chmod(own, 0o640);
    const mine = await ufs(['scan', '--dry-run', '--cache', own, root], { env });
    expect(mine.status).toBe(0);
    expect((await stat(shared)).mode & 0o777).toBe(0o755);
    expect((await stat(own)).mode & 0o777).toBe(0o640);
  });
});
