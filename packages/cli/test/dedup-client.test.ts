import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DedupClient, SMALL_UPLOAD } from '../src/api/dedup-client.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox } from './helpers/ufs.js';

// The scanner's uploads (POST /upload_file, multipart) against a real `ufs serve`: small files read at once, larger
// ones streamed; either way the server must end up with exactly the bytes hashed, or with nothing.
let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let client: DedupClient;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function record(path: string, bytes: Buffer, hostname = 'client-test') {
  await client.putFiles([
    {
      filepath: path,
      hostname,
      ip_address: '127.0.0.1',
      sha256: sha(bytes),
      file_size: bytes.length,
      file_mode: 0o100644,
      file_uid: 0,
      file_gid: 0,
      file_mtime: 0,
      file_atime: 0,
      file_ctime: 0,
    },
  ]);
}

/** What the server serves for a hash: its status, and the length and SHA-256 of the body (jest compares large buffers slowly). */
async function held(digest: string): Promise<{ status: number; bytes?: number; sha256?: string }> {
  const res = await fetch(`${server.url}/files/${digest}/content`, { headers: client.headers() });
  if (!res.ok) return { status: res.status };
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, bytes: body.length, sha256: sha(body) };
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  client = new DedupClient({ url: server.url, apiKey: server.apiKey! });
});
afterAll(async () => {
  await server?.stop();
  await box.cleanup();
});

describe('DedupClient.uploadFile', () => {
  it.each([
    ['a small file (one read)', 200_000],
    ['a file at the small-upload limit', SMALL_UPLOAD],
    ['a larger file (streamed)', SMALL_UPLOAD + 300_000],
    ['an empty file', 0],
  ])('uploads %s exactly', async (_label, size) => {
    const bytes = randomBytes(size);
    const path = join(box.dir, `file-${size}.bin`);
    await writeFile(path, bytes);
    await record(path, bytes);
    let progress = 0;
    await client.uploadFile(sha(bytes), path, size, { hostname: 'client-test', filepath: path }, (n) => (progress = n));
    expect(await held(sha(bytes))).toEqual({ status: 200, bytes: size, sha256: sha(bytes) });
    expect(progress).toBe(size);
  });

  it('a small file that changed since it was hashed fails with INTEGRITY and nothing is stored', async () => {
    const bytes = randomBytes(50_000);
    const path = join(box.dir, 'grew.bin');
    await writeFile(path, bytes);
    await record(path, bytes);
    await appendFile(path, 'more');
    await expect(
      client.uploadFile(sha(bytes), path, bytes.length, { hostname: 'client-test', filepath: path }),
    ).rejects.toMatchObject({ code: 'INTEGRITY', message: expect.stringContaining('changed since it was hashed') });
    await writeFile(path, bytes.subarray(0, 10));
    await expect(
      client.uploadFile(sha(bytes), path, bytes.length, { hostname: 'client-test', filepath: path }),
    ).rejects.toMatchObject({ code: 'INTEGRITY' });
    expect(await held(sha(bytes))).toEqual({ status: 404 });
  });
});
