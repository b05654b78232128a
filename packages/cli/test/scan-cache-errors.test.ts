import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { openSync, writeSync, closeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// A scan cache whose SQLite file is damaged (pages overwritten): every failure of it — opening the memory of records
// sent, reading hashes during the walk, writing them — is one line naming the file and the way out, exit 78
// (CONFIG_INVALID), as a file that is no database at all is. Against a real `ufs serve` where a server is needed.

interface ScanJson {
  stats: Record<string, number>;
  error?: { code: string; exitCode: number; message: string };
}

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let env: Record<string, string>;

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  env = { ...box.env, UFS_SERVER: server.url, UFS_API_KEY: server.apiKey! };
});
afterAll(async () => {
  await server?.stop();
  await box?.cleanup();
});

/** A folder of `count` small files. */
async function folder(name: string, count: number): Promise<string> {
  const dir = join(box.dir, name);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) await writeFile(join(dir, `f${i}.txt`), `${name} ${i}\n`);
  return dir;
}

/** Overwrites the first page of `table` in the cache file with bytes that are no SQLite page. */
function damage(cache: string, table: string): void {
  const db = new Database(cache);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const { rootpage } = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as {
    rootpage: number;
  };
  db.close();
  const fd = openSync(cache, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xab), 0, pageSize, (rootpage - 1) * pageSize);
  closeSync(fd);
}

const malformed = (cache: string) =>
  `[ufs] scan cache "${cache}": database disk image is malformed (use --cache PATH or --no-cache)`;

describe('ufs scan: a damaged cache', () => {
  it('a hash read during the walk fails with the file and the way out (78), not as an unexpected error', async () => {
    const dir = await folder('read', 3);
    const cache = join(box.dir, 'read.sqlite');
    expect((await ufs(['scan', '--dry-run', '--cache', cache, dir], { env })).status).toBe(0);
    damage(cache, 'file_hashes');
    const run = await ufs(['scan', '--dry-run', '--cache', cache, dir], { env });
    expect(run.stderr.trim()).toBe(malformed(cache));
    expect(run.status).toBe(78);
    // With --json the summary of what was done comes with the error, as for any error that stops a scan.
    const json = await ufs(['scan', '--dry-run', '--json', '--cache', cache, dir], { env });
    expect(json.status).toBe(78);
    expect(json.json<ScanJson>()).toMatchObject({ error: { code: 'CONFIG_INVALID' }, stats: { files: 1 } });
  });

  it('hashes written during the scan (more than one group of 500) fail the same way, at the end', async () => {
    const dir = await folder('write', 600);
    const cache = join(box.dir, 'write.sqlite');
    expect((await ufs(['scan', '--dry-run', '--cache', cache, dir], { env })).status).toBe(0);
    damage(cache, 'file_hashes');
    // --rehash reads no hash: the first failure is a write (of the first 500), made as the files are hashed.
    const run = await ufs(['scan', '--dry-run', '--rehash', '--json', '--cache', cache, dir], { env });
    expect(run.stderr.trim()).toBe(malformed(cache));
    expect(run.status).toBe(78);
    expect(run.json<ScanJson>()).toMatchObject({ error: { code: 'CONFIG_INVALID' }, stats: { files: 600 } });
  });

  it('the memory of records sent, opened before the walk: the summary, then that error (78)', async () => {
    const dir = await folder('sent', 3);
    const cache = join(box.dir, 'sent.sqlite');
    const first = await ufs(['scan', '--hostname', 'sent', '--cache', cache, dir], { env });
    expect(first.status).toBe(0);
    damage(cache, 'sent_records');
    const run = await ufs(['scan', '--hostname', 'sent', '--cache', cache, '--json', dir], { env });
    expect(run.stderr.trim()).toBe(malformed(cache));
    expect(run.status).toBe(78);
    expect(run.json<ScanJson>().error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 78 });
    // A file that is no database at all: the same line, when the cache is opened.
    const notDb = join(box.dir, 'not-a-db.sqlite');
    await writeFile(notDb, 'not a database, but long enough to be read as one: '.repeat(200));
    const bad = await ufs(['scan', '--hostname', 'sent', '--cache', notDb, dir], { env });
    expect(bad.stderr.trim()).toBe(
      `[ufs] scan cache "${notDb}": file is not a database (use --cache PATH or --no-cache)`,
    );
    expect(bad.status).toBe(78);
  });
});
