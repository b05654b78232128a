import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countingProxy, type CountingProxy } from './helpers/counting-proxy.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// `ufs scan`'s uploaded bytes are the bytes the scan sent: a resumable (tus) upload that continues one an earlier run
// left counts only the part it sent, in the summary ("uploaded: 1 (195 KiB sent)") and in --json's uploadedBytes.
// A real `ufs serve` holding the first 400,000 of 600,000 bytes, a counting proxy in front of it.

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let proxy: CountingProxy;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  proxy = await countingProxy(server.url);
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  await box?.cleanup();
});

/**
 * A file of `size` bytes whose upload an earlier run began: the server holds its first `held` bytes, and the cache
 * at `cachePath` remembers the upload's URL (through the proxy), as that run left it.
 */
async function partlyUploaded(name: string, size: number, held: number): Promise<{ file: string; cachePath: string }> {
  const dir = join(box.dir, name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'large.bin');
  const bytes = randomBytes(size);
  await writeFile(file, bytes);
  const digest = sha(bytes);
  const headers = { 'x-api-key': server.apiKey!, 'tus-resumable': '1.0.0' };
  const created = await fetch(`${server.url}/tus`, {
    method: 'POST',
    headers: {
      ...headers,
      'upload-length': String(size),
      'upload-metadata': `sha256 ${Buffer.from(digest).toString('base64')}`,
    },
  });
  expect(created.status).toBe(201);
  const location = new URL(created.headers.get('location')!, server.url).href;
  const patched = await fetch(location, {
    method: 'PATCH',
    headers: { ...headers, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: bytes.subarray(0, held),
  });
  expect(patched.status).toBe(204);
  const cachePath = join(box.dir, `${name}-cache.sqlite`);
  expect((await ufs(['scan', '--dry-run', '--cache', cachePath, file], { env: box.env })).status).toBe(0);
  const db = new Database(cachePath);
  db.prepare('INSERT INTO tus_uploads (server, sha256, url, created_at) VALUES (?, ?, ?, ?)').run(
    proxy.url,
    digest,
    location.replace(server.url, proxy.url),
    Date.now(),
  );
  db.close();
  return { file, cachePath };
}

const scanArgs = (name: string, cachePath: string) => [
  'scan',
  '--hostname',
  name,
  '--server',
  proxy.url,
  '--api-key',
  server.apiKey!,
  '--cache',
  cachePath,
  '--tus-threshold',
  '100KiB',
];

describe('ufs scan: the bytes of a resumed upload', () => {
  it('--json uploadedBytes counts only the part the resumed upload sent', async () => {
    const { file, cachePath } = await partlyUploaded('json', 600_000, 400_000);
    proxy.reset();
    const run = await ufs([...scanArgs('resume-json', cachePath), '--json', file], { env: box.env });
    expect(run.status).toBe(0);
    expect(proxy.bytes.PATCH).toBe(200_000);
    expect(run.json<{ stats: Record<string, number> }>().stats).toMatchObject({
      bytes: 600_000,
      new: 1,
      uploaded: 1,
      uploadedBytes: 200_000,
      failed: 0,
    });
  });

  it('the summary says the bytes sent, not the file sizes', async () => {
    const { file, cachePath } = await partlyUploaded('text', 600_000, 500_000);
    proxy.reset();
    const run = await ufs([...scanArgs('resume-text', cachePath), file], { env: box.env });
    expect(run.status).toBe(0);
    expect(proxy.bytes.PATCH).toBe(100_000);
    expect(run.stdout).toMatch(/^files:\s+1 \(586 KiB\)$/m);
    expect(run.stdout).toMatch(/^uploaded:\s+1 \(98 KiB sent\)$/m);
  });

  it('a fresh upload counts every byte of the file', async () => {
    const dir = join(box.dir, 'fresh');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'large.bin'), randomBytes(300_000));
    proxy.reset();
    const run = await ufs([...scanArgs('fresh', join(box.dir, 'fresh-cache.sqlite')), '--json', dir], {
      env: box.env,
    });
    expect(run.status).toBe(0);
    expect(proxy.bytes.PATCH).toBe(300_000);
    expect(run.json<{ stats: Record<string, number> }>().stats).toMatchObject({ uploaded: 1, uploadedBytes: 300_000 });
  });
});
