import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveBehindFront, type Front } from './helpers/front.js';
import { ufs } from './helpers/ufs.js';

// Two identical files, a and b: one upload sends their content. While it is in flight another client replaces the
// record it is for (same host and path, another hash): the server answers 404 "no file record … put_file first".
// That is the failure of that file's record, not of the content: the other file (its record intact) is uploaded
// instead, and the failed one says its record was replaced meanwhile, exit 65 (the file is there: not 66, "input
// missing"). A real `ufs serve` behind a node:http front that holds the first upload while the test replaces it.

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string; context: { path?: string } }>;
}

const sha = (b: string) => createHash('sha256').update(b).digest('hex');

let front: Front;
let held: ((filepath: string) => Promise<void>) | undefined;
let uploads: string[] = [];

async function putFile(hostname: string, filepath: string, content: string): Promise<void> {
  const res = await fetch(`${front.server.url}/put_file`, {
    method: 'POST',
    headers: { 'x-api-key': front.server.apiKey!, 'content-type': 'application/json' },
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
  expect(res.ok).toBe(true);
}

async function records(hostname: string): Promise<Record<string, { sha256: string; content: boolean }>> {
  const res = await fetch(`${front.server.url}/files?hostname=${hostname}&limit=100`, {
    headers: { 'x-api-key': front.server.apiKey! },
  });
  const items = (
    (await res.json()) as { items: Array<{ filepath: string; sha256: string; has_file_content: boolean }> }
  ).items;
  return Object.fromEntries(items.map((r) => [r.filepath, { sha256: r.sha256, content: r.has_file_content }]));
}

beforeAll(async () => {
  front = await serveBehindFront((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (req.method === 'POST' && url.pathname.startsWith('/upload_file/')) {
      const filepath = url.searchParams.get('filepath') ?? '';
      uploads.push(filepath);
      const hold = held;
      held = undefined;
      // The first upload waits (its body unread) until the test has replaced its record.
      if (hold) return void hold(filepath).then(() => front.forward(req, res));
    }
    front.forward(req, res);
  });
});
afterAll(async () => {
  await front?.close();
});

describe('ufs scan: identical files, the record of the one uploading replaced meanwhile', () => {
  it('uploads the content from the other file, fails the replaced one alone, exit 65', async () => {
    const root = join(front.box.dir, 'twins');
    await mkdir(root, { recursive: true });
    const content = 'the same content\n';
    await writeFile(join(root, 'a'), content);
    await writeFile(join(root, 'b'), content);
    uploads = [];
    let replaced = '';
    held = async (filepath) => {
      replaced = filepath;
      await putFile('twins', filepath, 'another client wrote this\n');
    };
    const run = await ufs(['scan', '--hostname', 'twins', '--no-cache', '--json', root], {
      env: front.env(),
      timeoutMs: 60_000,
    });
    const out = run.json<ScanJson>();
    expect([join(root, 'a'), join(root, 'b')]).toContain(replaced);
    const other = replaced === join(root, 'a') ? join(root, 'b') : join(root, 'a');
    // The other file's upload went next, and the content is held under its record.
    expect(uploads).toEqual([replaced, other]);
    expect(out.failures).toHaveLength(1);
    expect(out.failures[0]).toMatchObject({ code: 'INTEGRITY', context: { path: replaced } });
    expect(out.failures[0]!.message).toMatch(/record with sha256 [0-9a-f]{64} was replaced \(or deleted\)/);
    expect(out.failures[0]!.message).not.toMatch(/the same content failed/);
    expect(out.stats).toMatchObject({ files: 2, failed: 1, uploaded: 1 });
    expect(run.status).toBe(65);
    const held2 = await records('twins');
    expect(held2[other]).toEqual({ sha256: sha(content), content: true });
    expect(held2[replaced]!.sha256).toBe(sha('another client wrote this\n'));
  });
});
