import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { countingProxy, type CountingProxy } from './helpers/counting-proxy.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// `ufs scan` when files fail: each fails alone, named by its path and listed in --json, and the others go on — a
// record the server refuses, a batch larger than the server takes, a file that changes while it is uploaded, an
// upload the server answers with an error. Against a real `ufs serve`, through a counting proxy that can also
// answer some requests itself.

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string; context: { path?: string } }>;
  error?: { code: string; exitCode: number };
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let proxy: CountingProxy;
let env: Record<string, string>;
let fault: ((req: IncomingMessage) => number | undefined) | undefined;

function scan(hostname: string, args: readonly string[], root: string, extraEnv: Record<string, string> = {}) {
  return ufs(['scan', '--hostname', hostname, '--json', ...args, root], { env: { ...env, ...extraEnv } });
}

async function records(hostname: string): Promise<Array<{ filepath: string; has_file_content: boolean }>> {
  const res = await fetch(`${server.url}/files?hostname=${hostname}&limit=1000`, {
    headers: { 'x-api-key': server.apiKey! },
  });
  return ((await res.json()) as { items: never[] }).items;
}

/** A folder of `count` small files (`f0.txt`…), and its path. */
async function folder(name: string, count: number, content = (i: number) => `file ${i}\n`): Promise<string> {
  const dir = join(box.dir, name);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) await writeFile(join(dir, `f${i}.txt`), content(i));
  return dir;
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  proxy = await countingProxy(server.url, { fault: (req) => fault?.(req) });
  env = { ...box.env, UFS_SERVER: proxy.url, UFS_API_KEY: server.apiKey! };
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  await box?.cleanup();
});

describe('ufs scan: one file fails alone', () => {
  it('a record the server refuses (its own rule) fails alone, by its path and reason; the batch is catalogued', async () => {
    const dir = await folder('refused', 6);
    // A file name holding `\..`: legal on Linux, refused by the server as a traversal segment (not by the schema).
    const bad = join(dir, 'dots\\..\\evil.txt');
    await writeFile(bad, 'evil\n');
    proxy.reset();
    const run = await scan('refused', [], dir);
    expect(run.status).toBe(65); // a file's data, not a usage error (64)
    const out = run.json<ScanJson>();
    expect(out.stats).toMatchObject({ files: 7, sent: 6, new: 6, uploaded: 6, failed: 1 });
    expect(out.failures).toHaveLength(1);
    expect(out.failures[0]!.code).toBe('INVALID_INPUT');
    expect(out.failures[0]!.context.path).toBe(bad);
    expect(out.failures[0]!.message).toContain(`"${bad}"`);
    expect(out.failures[0]!.message).toMatch(/must not contain "\." or "\.\." segments/);
    expect(out.failures[0]!.message).not.toContain('files[');
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(`"${bad}"`)]);
    // the batch, then the batch without the refused record: no more
    expect(proxy.requests['POST /put_files']).toBe(2);
    const recs = await records('refused');
    expect(recs.map((r) => r.filepath).sort()).toEqual(
      Array.from({ length: 6 }, (_, i) => join(dir, `f${i}.txt`)).sort(),
    );
    expect(recs.every((r) => r.has_file_content)).toBe(true);
    // a rescan sends only that record again, and it fails again alone
    const again = await scan('refused', [], dir);
    expect(again.status).toBe(65);
    expect(again.json<ScanJson>().stats).toMatchObject({ unchanged: 6, sent: 0, failed: 1 });
  });

  it('a damaged hash in the cache is not trusted: that file is hashed again, sent right, and its row mended', async () => {
    const dir = await folder('schema', 3);
    const cache = join(box.dir, 'schema-cache.sqlite');
    expect((await ufs(['scan', '--dry-run', '--cache', cache, dir], { env })).status).toBe(0);
    const db = new Database(cache);
    db.prepare("UPDATE file_hashes SET sha256 = 'NOT-A-HASH' WHERE name = 'f1.txt'").run();
    db.close();
    proxy.reset();
    const run = await scan('schema', ['--cache', cache], dir);
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 3, cached: 2, hashed: 1, sent: 3, failed: 0 });
    expect(proxy.requests['POST /put_files']).toBe(1);
    const recs = (await records('schema')) as Array<{ filepath: string; sha256?: string }>;
    expect(recs.find((r) => r.filepath === join(dir, 'f1.txt'))?.sha256).toBe(sha('file 1\n'));
    const mended = new Database(cache, { readonly: true });
    const row = mended.prepare("SELECT sha256 FROM file_hashes WHERE name = 'f1.txt'").get() as { sha256: string };
    mended.close();
    expect(row.sha256).toBe(sha('file 1\n'));
  });

  it('a batch larger than the server takes (413) is sent in halves; --batch-size over 10000 is a usage error', async () => {
    const count = 1200;
    const dir = await folder('many', count, () => 'same\n');
    // The config may ask for more records per request than the server takes (1000 by default).
    const config = join(box.dir, 'big-batches.yaml');
    await writeFile(config, 'scan:\n  batchSize: 1200\n');
    proxy.reset();
    const run = await scan('many', ['--no-cache', '--config', config, '-V'], dir);
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: count, sent: count, failed: 0, uploaded: 1 });
    expect(proxy.requests['POST /put_files']).toBe(3); // 1200 refused, then 600 and 600
    expect(run.stderr).toMatch(/refused 1200 records at once as too large \(413\): batches of 600/);
    expect(await records('many')).toHaveLength(1000); // the listing's page; all were taken (sent: 1200)
    const flag = await scan('many', ['--batch-size', '10001'], dir);
    expect(flag.status).toBe(64);
    expect(flag.stderr).toMatch(/--batch-size .*10000/);
    // The flag and the config take the same values.
    await writeFile(config, 'scan:\n  batchSize: 10001\n');
    const configured = await scan('many', ['--config', config], dir);
    expect(configured.status).toBe(78);
    expect(configured.stderr).toMatch(/scan\.batchSize/);
  });

  it('a file that changes while it is uploaded fails as such (65), stores nothing, and the others go on', async () => {
    const dir = join(box.dir, 'growing');
    await mkdir(dir, { recursive: true });
    const log = join(dir, 'log');
    const bytes = randomBytes(3_000_000); // streamed (over 1 MiB), not tus
    await writeFile(log, bytes);
    await writeFile(join(dir, 'ok.txt'), 'fine\n');
    // The log grows once it is hashed and its record sent, before its upload.
    fault = (req) => {
      if (req.url === '/put_files') appendFileSync(log, randomBytes(20_000));
      return undefined;
    };
    const run = await scan('growing', ['--no-cache'], dir).finally(() => (fault = undefined));
    expect(run.status).toBe(65);
    const out = run.json<ScanJson>();
    expect(out.stats).toMatchObject({ files: 2, new: 2, uploaded: 1, failed: 1 });
    expect(out.failures).toEqual([
      expect.objectContaining({
        code: 'INTEGRITY',
        message: expect.stringMatching(/upload ".*\/log": the file changed while it was being scanned .*scan again/),
      }),
    ]);
    const content = await fetch(`${server.url}/files/${sha(bytes)}/content`, {
      headers: { 'x-api-key': server.apiKey! },
    });
    expect(content.status).toBe(404);
  });

  it('--json lists every failure counted: an upload the server answers with 503, a batch refused whole', async () => {
    const dir = await folder('listed', 3, (i) => `listed ${i}\n`);
    const digest = sha('listed 1\n');
    fault = (req) => (req.url?.startsWith(`/upload_file/${digest}?`) ? 503 : undefined);
    const run = await scan('listed', ['--no-cache'], dir).finally(() => (fault = undefined));
    expect(run.status).toBe(69); // the server is unavailable: the scan stops
    const out = run.json<ScanJson>();
    expect(out.error).toMatchObject({ code: 'UNAVAILABLE', exitCode: 69 });
    expect(out.stats.failed).toBe(1);
    expect(out.failures).toEqual([
      expect.objectContaining({ code: 'UNAVAILABLE', context: expect.objectContaining({ path: join(dir, 'f1.txt') }) }),
    ]);
    // a batch refused whole (a 400 naming no record): each of its files counted and listed, by its path
    fault = (req) => (req.url === '/put_files' ? 400 : undefined);
    const refused = await scan('listed', ['--no-cache'], dir).finally(() => (fault = undefined));
    expect(refused.status).toBe(65);
    const whole = refused.json<ScanJson>();
    expect(whole.stats).toMatchObject({ sent: 0, failed: 3 });
    expect(whole.failures.map((f) => f.context.path).sort()).toEqual([0, 1, 2].map((i) => join(dir, `f${i}.txt`)));
    expect(refused.stderr.trim().split('\n')).toHaveLength(1); // one line for the batch
  });

  it('a bad --server or --hostname is a usage error naming the flag; a bad UFS_SERVER a config error naming it', async () => {
    const dir = await folder('flags', 1);
    const url = await ufs(['scan', '-s', 'not-a-url', dir], { env });
    expect(url.status).toBe(64);
    expect(url.stderr).toMatch(/--server "not-a-url" is not an http\(s\) URL/);
    const fromEnv = await ufs(['scan', dir], { env: { ...env, UFS_SERVER: 'not-a-url' } });
    expect(fromEnv.status).toBe(78);
    expect(fromEnv.stderr).toContain('env UFS_SERVER');
    // The same bad value in both: the typed flag is the one used, and named (it was taken for the environment's).
    const both = await ufs(['scan', '--server=not-a-url', dir], { env: { ...env, UFS_SERVER: 'not-a-url' } });
    expect(both.status).toBe(64);
    expect(both.stderr).toMatch(/--server "not-a-url" is not an http\(s\) URL/);
    const empty = await ufs(['scan', '--hostname', '', dir], { env });
    expect(empty.status).toBe(64);
    expect(empty.stderr).toContain('--hostname must not be empty');
    const control = await ufs(['scan', '--hostname', 'a\tb', dir], { env });
    expect(control.status).toBe(64);
    expect(control.stderr).toContain('--hostname must not contain control characters');
  });
});
