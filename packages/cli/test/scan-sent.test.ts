import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { countingProxy, type CountingProxy, type ProxyOptions } from './helpers/counting-proxy.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// `ufs scan`'s memory of sent records: what the server accepted (record and content) is not sent again until the
// server's catalogue epoch changes. Every scan goes through a counting proxy, so the requests and bytes that reach
// the server are seen (the memory is kept per server URL: the proxy's).

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string }>;
}

const FILES = 20;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let proxy: CountingProxy;
let env: Record<string, string>;
let tree: string;
/** Read by the proxy on every request: tests switch delays and faults on and off. */
const proxyOptions: ProxyOptions = {};
let fault: ((req: IncomingMessage) => number | undefined) | undefined;

function scan(args: readonly string[], root = tree) {
  return ufs(['scan', '--hostname', 'sent-host', '--json', ...args, root], { env });
}

async function records(): Promise<Array<{ _id: string; filepath: string; has_file_content: boolean }>> {
  const res = await fetch(`${server.url}/files?hostname=sent-host&limit=1000`, {
    headers: { 'x-api-key': server.apiKey! },
  });
  return ((await res.json()) as { items: never[] }).items;
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  proxyOptions.fault = (req) => fault?.(req);
  proxy = await countingProxy(server.url, proxyOptions);
  env = { ...box.env, UFS_SERVER: proxy.url, UFS_API_KEY: server.apiKey! };
  tree = join(box.dir, 'tree');
  await mkdir(tree, { recursive: true });
  // every fourth file repeats the content of the one before it
  for (let i = 0; i < FILES; i++) await writeFile(join(tree, `f${i}.txt`), `content ${i % 4 === 3 ? i - 1 : i}\n`);
  await symlink('f0.txt', join(tree, 'link'));
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  await box.cleanup();
});

describe('ufs scan: records the server holds are not sent again', () => {
  it('sends batches a few at a time; a rescan of the unchanged tree sends no record', async () => {
    proxyOptions.delayMs = 150; // a slow server: batches overlap
    const first = await scan(['--batch-size', '2']).finally(() => (proxyOptions.delayMs = 0));
    expect(first.status).toBe(0);
    expect(first.json<ScanJson>().stats).toMatchObject({
      files: FILES,
      symlinks: 1,
      sent: FILES + 1,
      unchanged: 0,
      new: 15,
      deduplicated: 5,
      uploaded: 15,
      failed: 0,
    });
    expect(proxy.requests['POST /put_files']).toBe(11);
    expect(proxy.peak['POST /put_files']).toBeGreaterThanOrEqual(2);
    expect(proxy.peak['POST /put_files']).toBeLessThanOrEqual(3);
    const recs = await records();
    expect(recs).toHaveLength(FILES + 1);
    expect(recs.every((r) => r.has_file_content)).toBe(true);

    proxy.reset();
    const warm = await scan([]);
    expect(warm.json<ScanJson>().stats).toMatchObject({
      files: FILES,
      cached: FILES,
      unchanged: FILES,
      sent: 0,
      new: 0,
      deduplicated: 0,
      uploaded: 0,
    });
    expect(proxy.requests).toEqual({ 'GET /catalogue': 1 });
    expect(proxy.bytes.POST ?? 0).toBe(0);
  });

  it('a file whose metadata changed (mode, ctime) is sent alone', async () => {
    await chmod(join(tree, 'f5.txt'), 0o600);
    proxy.reset();
    const run = await scan([]);
    expect(run.json<ScanJson>().stats).toMatchObject({ unchanged: FILES - 1, sent: 1, deduplicated: 1, uploaded: 0 });
    expect(proxy.requests['POST /put_files']).toBe(1);
    const query = new URLSearchParams({ hostname: 'sent-host', path_prefix: join(tree, 'f5.txt') });
    const res = await fetch(`${server.url}/files?${query}`, {
      headers: { 'x-api-key': server.apiKey! },
    });
    const [record] = ((await res.json()) as { items: Array<{ file_mode: number }> }).items;
    expect(record!.file_mode & 0o777).toBe(0o600);
  });

  it('a record deleted on the server (DELETE /files/{id}) changes the epoch: the next scan sends everything', async () => {
    const gone = (await records()).find((r) => r.filepath === join(tree, 'f7.txt'))!;
    const deleted = await fetch(`${server.url}/files/${gone._id}`, {
      method: 'DELETE',
      headers: { 'x-api-key': server.apiKey! },
    });
    expect(deleted.status).toBe(200);
    const run = await scan([]);
    expect(run.json<ScanJson>().stats).toMatchObject({ unchanged: 0, sent: FILES + 1, uploaded: 0, failed: 0 });
    expect((await records()).map((r) => r.filepath)).toContain(join(tree, 'f7.txt'));
    const after = await scan([]);
    expect(after.json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 0 });
  });

  it('--resend and --rehash send every record again; --no-cache sends everything and remembers nothing', async () => {
    const resend = await scan(['--resend']);
    expect(resend.json<ScanJson>().stats).toMatchObject({ hashed: 0, unchanged: 0, sent: FILES + 1 });
    const rehash = await scan(['--rehash']);
    expect(rehash.json<ScanJson>().stats).toMatchObject({ hashed: FILES, unchanged: 0, sent: FILES + 1 });
    proxy.reset();
    const nocache = await scan(['--no-cache']);
    expect(nocache.json<ScanJson>().stats).toMatchObject({ hashed: FILES, unchanged: 0, sent: FILES + 1 });
    expect(proxy.requests['GET /catalogue']).toBeUndefined();
    const normal = await scan([]);
    expect(normal.json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 0 });
  });

  it('a failed batch or a failed upload remembers nothing: the next run sends (and uploads) it again', async () => {
    const dir = join(box.dir, 'retry');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'dup1.txt'), 'retry me\n');
    await writeFile(join(dir, 'dup2.txt'), 'retry me\n');
    await writeFile(join(dir, 'fine.txt'), 'fine\n');
    // the server refuses the batch (400): nothing reached it
    fault = (req) => (req.url === '/put_files' ? 400 : undefined);
    const refused = await scan([], dir).finally(() => (fault = undefined));
    expect(refused.status).toBe(65); // the files' failure, not a usage error
    expect(refused.json<ScanJson>().stats).toMatchObject({ sent: 0, failed: 3 });
    expect(refused.json<ScanJson>().failures).toHaveLength(3); // each file counted is listed
    // the content of dup1/dup2 is refused (413); fine.txt goes through
    fault = (req) => (req.url?.startsWith(`/upload_file/${sha('retry me\n')}?`) ? 413 : undefined);
    const failed = await scan([], dir).finally(() => (fault = undefined));
    expect(failed.status).toBe(65);
    // dup2 shares dup1's refused content: it fails with it (not deduplicated: the server lacks that content)
    expect(failed.json<ScanJson>().stats).toMatchObject({ sent: 3, new: 2, deduplicated: 0, uploaded: 1, failed: 2 });
    proxy.reset();
    const retried = await scan([], dir);
    expect(retried.status).toBe(0);
    expect(retried.json<ScanJson>().stats).toMatchObject({
      unchanged: 1,
      sent: 2,
      new: 1,
      deduplicated: 1,
      uploaded: 1,
      failed: 0,
    });
    expect(proxy.requests['POST /upload_file']).toBe(1);
    const done = await scan([], dir);
    expect(done.json<ScanJson>().stats).toMatchObject({ unchanged: 3, sent: 0 });
  });

  it('a server without GET /catalogue (plain PutPlace) gets every record every time', async () => {
    fault = (req) => (req.url?.split('?')[0] === '/catalogue' ? 404 : undefined);
    try {
      for (let i = 0; i < 2; i++) {
        const run = await scan([]);
        expect(run.status).toBe(0);
        expect(run.json<ScanJson>().stats).toMatchObject({ unchanged: 0, sent: FILES + 1, failed: 0 });
      }
    } finally {
      fault = undefined;
    }
  });

  it('fatal errors stop the scan with one line, even when nothing needs sending: wrong key (77), server down (69)', async () => {
    // the tree is unchanged: only the epoch request reaches the server, and it checks the key
    const wrongKey = await ufs(['scan', '--hostname', 'sent-host', '--api-key', 'f'.repeat(64), tree], { env });
    expect(wrongKey.status).toBe(77);
    expect(wrongKey.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrongKey.stderr).toContain('GET /catalogue');
    // with --resend the batches (several in flight) all fail with 401: still one line
    fault = (req) => (req.url === '/put_files' ? 401 : undefined);
    const refused = await ufs(['scan', '--hostname', 'sent-host', '--resend', '--batch-size', '2', tree], { env });
    fault = undefined;
    expect(refused.status).toBe(77);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    fault = (req) => (req.url?.split('?')[0] === '/catalogue' ? 503 : undefined);
    const down = await ufs(['scan', tree], { env }).finally(() => (fault = undefined));
    expect(down.status).toBe(69);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/GET \/catalogue.*503/);
  });

  it('an error that stops the scan midway still prints the summary of what was done (and with --json, both)', async () => {
    // the first two batches go through, every later one is refused (401: the key was revoked meanwhile)
    let batches = 0;
    fault = (req) => (req.url === '/put_files' && ++batches > 2 ? 401 : undefined);
    const text = await ufs(['scan', '--hostname', 'sent-host', '--resend', '--batch-size', '2', tree], { env });
    batches = 0;
    const json = await scan(['--resend', '--batch-size', '2']).finally(() => (fault = undefined));
    expect(text.status).toBe(77);
    expect(text.stdout).toMatch(/^files:\s+\d+ /m);
    expect(text.stdout).toMatch(/^failed:\s+\d+$/m);
    expect(text.stderr.trim().split('\n')).toEqual([expect.stringContaining('401')]);
    expect(json.status).toBe(77);
    const out = json.json<ScanJson & { error: { code: string; exitCode: number } }>();
    expect(out.stats.sent).toBe(4); // the two batches that went through
    expect(out.stats.failed).toBeGreaterThan(0);
    expect(out.error).toMatchObject({ code: 'PERMISSION_DENIED', exitCode: 77 });
    expect(json.stderr.trim().split('\n')).toHaveLength(1);
    expect((await scan([])).json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 0 });
  });

  it('the memory is kept per server whatever way its URL is written (trailing /, upper-case scheme)', async () => {
    proxy.reset();
    const other = `${proxy.url.replace(/^http:/, 'HTTP:')}/`;
    const run = await ufs(['scan', '--hostname', 'sent-host', '--server', other, '--json', tree], { env });
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ unchanged: FILES, sent: 0 });
    expect(proxy.requests).toEqual({ 'GET /catalogue': 1 });
  });
});
