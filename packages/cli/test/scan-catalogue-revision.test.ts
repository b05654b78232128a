import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// `ufs scan`'s memory of sent records against what makes it stale: another client replacing a record of the host
// (the catalogue revision of the host changes, the epoch does not), the server's data folder restored from a backup,
// and a server whose 200 answers are not put_files answers. Real `ufs serve` processes, behind a forwarding proxy so
// that the server keeps one URL (the memory is per URL) across restarts.

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string }>;
}

const FILES = 6;
const sha = (b: string) => createHash('sha256').update(b).digest('hex');

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let apiKey: string;
let target: string;
let proxy: Server;
let proxyUrl: string;
let tree: string;
/** Requests that reached the server through the proxy, by `METHOD /first-segment`. */
let requests: Record<string, number> = {};
/** The proxy answers every content upload 413 (the scan counts those files failed and goes on). */
let refuseUploads = false;

/** A proxy to `target` (changed when the server restarts on another port), streaming both ways. */
async function forwardingProxy(): Promise<void> {
  proxy = createServer((req, res) => {
    const kind = `${req.method} /${(req.url ?? '/').split(/[/?]/)[1] ?? ''}`;
    requests[kind] = (requests[kind] ?? 0) + 1;
    if (refuseUploads && kind === 'POST /upload_file') {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ detail: 'refused by the test proxy' }));
      req.resume();
      return;
    }
    const to = new URL(target);
    const out = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

async function start(): Promise<void> {
  server = await serve([], box.env);
  apiKey = server.apiKey ?? apiKey;
  target = server.url;
}

function scan(args: readonly string[] = [], hostname = 't3') {
  requests = {};
  return ufs(['scan', '--hostname', hostname, '--json', ...args, tree], {
    env: { ...box.env, UFS_SERVER: proxyUrl, UFS_API_KEY: apiKey },
  });
}

async function records(
  hostname = 't3',
): Promise<Array<{ filepath: string; sha256: string; has_file_content: boolean }>> {
  const res = await fetch(`${target}/files?hostname=${hostname}&limit=1000`, { headers: { 'x-api-key': apiKey } });
  return ((await res.json()) as { items: never[] }).items;
}

/** The server holds every file of the tree as it is, with its content. */
async function holdsTree(count = FILES): Promise<void> {
  const recs = await records();
  expect(recs).toHaveLength(count);
  for (const r of recs) {
    expect(r.sha256).toBe(sha(`content of ${r.filepath.split('/').pop()}\n`));
    expect(r.has_file_content).toBe(true);
  }
}

const putFile = (hostname: string, filepath: string, content: string) =>
  fetch(`${target}/put_file`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({
      filepath,
      hostname,
      ip_address: '10.0.0.9',
      sha256: sha(content),
      file_size: Buffer.byteLength(content),
      file_mode: 0o100644,
      file_uid: 0,
      file_gid: 0,
      file_mtime: 1,
      file_atime: 1,
      file_ctime: 1,
    }),
  });

async function writeTree(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await writeFile(join(tree, `f${i}`), `content of f${i}\n`);
}

beforeAll(async () => {
  box = await sandbox();
  await start();
  await forwardingProxy();
  tree = join(box.dir, 'tree');
  await mkdir(tree, { recursive: true });
  await writeTree(0, FILES);
});
afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await server?.stop();
  await box.cleanup();
});

describe('ufs scan: the memory of sent records follows the host catalogue revision', () => {
  it('a record of the host replaced by another client is sent again; writes of other hosts keep the warm path', async () => {
    const first = await scan();
    expect(first.status).toBe(0);
    expect(first.json<ScanJson>().stats).toMatchObject({ sent: FILES, uploaded: FILES, failed: 0 });
    const warm = await scan();
    expect(warm.json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 0 });
    expect(requests).toEqual({ 'GET /catalogue': 1 });

    // Another host's record changes: t3's revision does not, nothing is sent.
    expect((await putFile('elsewhere', join(tree, 'f0'), 'theirs')).status).toBe(201);
    expect((await scan()).json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 0 });

    // Another client (same hostname) replaces f0's record with another hash and size.
    expect((await putFile('t3', join(tree, 'f0'), 'another machine, same hostname')).status).toBe(201);
    const again = await scan();
    expect(again.status).toBe(0);
    expect(again.json<ScanJson>().stats).toMatchObject({ unchanged: 0, sent: FILES, failed: 0 });
    await holdsTree();
    // And the memory is whole again.
    expect((await scan()).json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 0 });
  }, 240_000); // six scans of real processes (over 60 s under load)

  it('a server restored from a backup: records added after it are sent again; a backup with nothing after it keeps the memory', async () => {
    const backup = join(box.dir, 'backup');
    const snapshot = async () => {
      await server.stop();
      await rm(backup, { recursive: true, force: true });
      await cp(server.dataDir, backup, { recursive: true });
      await start();
    };
    const restore = async () => {
      await server.stop();
      await rm(server.dataDir, { recursive: true, force: true });
      await cp(backup, server.dataDir, { recursive: true });
      await start();
    };

    expect((await scan()).status).toBe(0); // the memory of the tree as it is (when run alone)
    await snapshot();
    await writeTree(FILES, FILES + 2);
    const more = await scan();
    expect(more.json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 2, uploaded: 2, failed: 0 });
    await holdsTree(FILES + 2);

    // The two records (and their content) are gone with the restore: the scan must not claim the server has them.
    await restore();
    expect(await records()).toHaveLength(FILES);
    const after = await scan();
    expect(after.status).toBe(0);
    expect(after.json<ScanJson>().stats).toMatchObject({ unchanged: 0, sent: FILES + 2, uploaded: 2, failed: 0 });
    await holdsTree(FILES + 2);

    // A backup taken with nothing written after it: restoring it loses nothing, and the memory stays good.
    expect((await scan()).json<ScanJson>().stats).toMatchObject({ unchanged: FILES + 2, sent: 0 });
    await snapshot();
    expect((await scan()).json<ScanJson>().stats).toMatchObject({ unchanged: FILES + 2, sent: 0 });
    await restore();
    expect((await scan()).json<ScanJson>().stats).toMatchObject({ unchanged: FILES + 2, sent: 0 });
    await holdsTree(FILES + 2);
    await rm(join(tree, `f${FILES}`));
    await rm(join(tree, `f${FILES + 1}`));
  }, 240_000); // seven scans and four starts of real processes (60-75 s under load)

  it('a server restored from a backup taken before content was uploaded: the rescan uploads that content again', async () => {
    const backup = join(box.dir, 'backup-gaps');
    const names = ['late0', 'late1'];
    for (const name of names) await writeFile(join(tree, name), `content of ${name}\n`);
    const late = async () => (await records()).filter((r) => names.some((n) => r.filepath.endsWith(`/${n}`)));
    try {
      // The records of the two new files are written, their uploads fail: the server holds them without content.
      refuseUploads = true;
      const refused = await scan();
      expect(refused.json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 2, uploaded: 0, failed: 2 });
      // Two records without content the scan knows of: the next scan sends only those two, not every record.
      const again = await scan();
      expect(again.json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 2, uploaded: 0, failed: 2 });
      expect((await late()).map((r) => r.has_file_content)).toEqual([false, false]);
    } finally {
      refuseUploads = false;
    }
    // The backup, taken while those records have no content.
    await server.stop();
    await cp(server.dataDir, backup, { recursive: true });
    await start();
    const uploads = await scan();
    expect(uploads.json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 2, uploaded: 2, failed: 0 });
    expect((await late()).map((r) => r.has_file_content)).toEqual([true, true]);
    const warm = await scan();
    expect(warm.json<ScanJson>().stats).toMatchObject({ unchanged: FILES + 2, sent: 0 });
    expect(requests).toEqual({ 'GET /catalogue': 1 });

    // Restored: the records and the revision the scan remembers are back, the content is not.
    await server.stop();
    await rm(server.dataDir, { recursive: true, force: true });
    await cp(backup, server.dataDir, { recursive: true });
    await start();
    expect((await late()).map((r) => r.has_file_content)).toEqual([false, false]);
    const restored = await scan(['--verbose']);
    expect(restored.status).toBe(0);
    expect(restored.stderr).toMatch(/holds 2 of t3's records without their content, 0 when this cache last wrote them/);
    expect(restored.json<ScanJson>().stats).toMatchObject({ unchanged: 0, sent: FILES + 2, uploaded: 2, failed: 0 });
    expect((await late()).map((r) => r.has_file_content)).toEqual([true, true]);
    expect((await scan()).json<ScanJson>().stats).toMatchObject({ unchanged: FILES + 2, sent: 0 });
    for (const name of names) await rm(join(tree, name));
  }, 240_000); // a dozen scans and four starts of real processes
});

describe('ufs scan against a server whose 200 answers are not put_files answers', () => {
  /** A server that has a catalogue epoch, and answers put_files with `answer()`; `good` makes it answer right. */
  async function badServer(answer: () => unknown) {
    let good = false;
    const http = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += String(c)));
      req.on('end', () => {
        const json = (value: unknown) =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (req.url?.startsWith('/catalogue')) return json({ catalogue_epoch: 'e1' });
        if (req.url === '/put_files') {
          if (!good) return json(answer());
          const files = (JSON.parse(body) as { files: Array<Record<string, string>> }).files;
          return json({
            results: files.map((f, i) => ({ _id: String(i), ...pick(f), upload_required: false, upload_url: null })),
            upload_required: [],
          });
        }
        res.writeHead(404).end();
      });
    });
    const pick = (f: Record<string, string>) => ({ hostname: f.hostname, filepath: f.filepath, sha256: f.sha256 });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      fix: () => (good = true),
      close: () => new Promise((resolve) => http.close(resolve)),
    };
  }

  it.each([
    ['{"ok":true}', { ok: true }, /results is nothing, not an array/],
    ['no results', { results: [], upload_required: [] }, /results has 0 entries for the 6 records sent/],
    [
      'results of other records',
      { results: [{ _id: '1', hostname: 'x', filepath: '/x', sha256: sha('x'), upload_required: false }] },
      /results has 1 entries/,
    ],
  ])('%s: the scan fails naming the server and what was wrong, and remembers nothing', async (_name, answer, why) => {
    const srv = await badServer(() => answer);
    try {
      const env = { ...box.env, UFS_SERVER: srv.url, UFS_API_KEY: 'k' };
      const run = await ufs(['scan', '--hostname', 'bad-host', '--json', tree], { env });
      expect(run.status).not.toBe(0);
      const out = run.json<ScanJson & { error: { code: string; message: string } }>();
      expect(out.error.code).toBe('UNAVAILABLE');
      expect(out.error.message).toContain(
        `POST /put_files: ${srv.url} answered 200 but not as a ufs or PutPlace server`,
      );
      expect(out.error.message).toMatch(why);
      expect(out.stats).toMatchObject({ deduplicated: 0, unchanged: 0, uploaded: 0 });
      expect(out.stats.failed).toBeGreaterThan(0);
      // Nothing was remembered: once the server answers right, every record is sent.
      srv.fix();
      const next = await ufs(['scan', '--hostname', 'bad-host', '--json', tree], { env });
      expect(next.status).toBe(0);
      expect(next.json<ScanJson>().stats).toMatchObject({ unchanged: 0, sent: FILES, deduplicated: FILES });
    } finally {
      await srv.close();
    }
  });

  it('a GET /catalogue answer without an epoch stops the scan before the walk', async () => {
    const http = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const run = await ufs(['scan', '--hostname', 'bad-host', tree], {
        env: { ...box.env, UFS_SERVER: url, UFS_API_KEY: 'k' },
      });
      expect(run.status).toBe(69);
      expect(run.stderr.trim().split('\n')).toEqual([
        expect.stringContaining(
          `GET /catalogue: ${url} answered 200 but not as a ufs or PutPlace server does: catalogue_epoch is nothing`,
        ),
      ]);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
