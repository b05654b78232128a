import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { countingProxy, type CountingProxy } from './helpers/counting-proxy.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// Identical files of one scan share one upload: when it fails, no identical file is left without content and counted
// "deduplicated". A failure of the content (over the server's --max-upload) fails every identical file with it; a
// failure of the file uploaded from (it changed while it was scanned) uploads the content from an identical file
// instead. Against a real `ufs serve --max-upload 1KiB`, through a proxy that changes a file when it sees a batch.

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string; context: { path?: string } }>;
}

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let proxy: CountingProxy;
let env: Record<string, string>;
let fault: ((req: IncomingMessage) => number | undefined) | undefined;

function scan(hostname: string, args: readonly string[], root: string) {
  return ufs(['scan', '--hostname', hostname, '--json', '--no-cache', ...args, root], { env, timeoutMs: 30_000 });
}

async function contentOf(hostname: string): Promise<Record<string, boolean>> {
  const res = await fetch(`${server.url}/files?hostname=${hostname}&limit=1000`, {
    headers: { 'x-api-key': server.apiKey! },
  });
  const items = ((await res.json()) as { items: Array<{ filepath: string; has_file_content: boolean }> }).items;
  return Object.fromEntries(items.map((r) => [r.filepath, r.has_file_content]));
}

async function tree(name: string, files: Record<string, Buffer | string>): Promise<string> {
  const root = join(box.dir, name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(join(root, file, '..'), { recursive: true });
    await writeFile(join(root, file), content);
  }
  return root;
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve(['--max-upload', '1KiB'], box.env);
  proxy = await countingProxy(server.url, { fault: (req) => fault?.(req) });
  env = { ...box.env, UFS_SERVER: proxy.url, UFS_API_KEY: server.apiKey! };
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  await box?.cleanup();
});

describe('ufs scan: identical files when their upload fails', () => {
  it.each([
    ['one batch', []],
    ['one record per batch', ['--batch-size', '1', '--uploads', '1']],
  ])('content over the size limit fails every identical file, none deduplicated (%s)', async (_, flags) => {
    const big = randomBytes(2000);
    const host = `big-${flags.length}`;
    const root = await tree(host, { a: big, b: big, c: big, 'small.txt': `fits ${host}\n` });
    const run = await scan(host, flags, root);
    expect(run.status).toBe(65); // TOO_LARGE, shared by the three
    const out = run.json<ScanJson>();
    expect(out.stats).toMatchObject({ files: 4, sent: 4, new: 2, uploaded: 1, deduplicated: 0, failed: 3 });
    expect(out.failures.map((f) => f.code)).toEqual(['TOO_LARGE', 'TOO_LARGE', 'TOO_LARGE']);
    expect(out.failures.map((f) => f.context.path).sort()).toEqual(['a', 'b', 'c'].map((f) => join(root, f)));
    // The files uploaded from another file say which, and why it failed.
    const twins = out.failures.filter((f) => /the same content failed from/.test(f.message));
    expect(twins).toHaveLength(2);
    for (const twin of twins) expect(twin.message).toMatch(/^\[ufs\] \[server\] upload ".*": not uploaded: .*413/);
    // one line each on stderr, then the closing line
    expect(run.stderr.trim().split('\n')).toHaveLength(3);
    expect(await contentOf(host)).toEqual({
      [join(root, 'a')]: false,
      [join(root, 'b')]: false,
      [join(root, 'c')]: false,
      [join(root, 'small.txt')]: true,
    });
  });

  it.each([
    ['one batch', []],
    ['one record per batch', ['--batch-size', '1', '--uploads', '1']],
  ])('a file that changed is uploaded from its identical twin instead (%s)', async (_, flags) => {
    const same = randomBytes(600);
    const host = `changed-${flags.length}`;
    const root = await tree(host, { a: same, 'z/b': same });
    const a = join(root, 'a');
    // `a` (walked first: the source of the upload) grows once its record is sent, before its upload.
    let grown = false;
    fault = (req) => {
      if (req.url === '/put_files' && !grown) {
        grown = true;
        appendFileSync(a, 'more');
      }
      return undefined;
    };
    const run = await scan(host, flags, root).finally(() => (fault = undefined));
    expect(run.status).toBe(65);
    const out = run.json<ScanJson>();
    expect(out.failures).toEqual([
      expect.objectContaining({
        code: 'INTEGRITY',
        context: expect.objectContaining({ path: a }),
        message: expect.stringMatching(/the file changed while it was being scanned/),
      }),
    ]);
    // b was uploaded (new: the server lacked its content), never counted deduplicated; a's record (the content as it
    // was hashed) has it too
    expect(out.stats).toMatchObject({ files: 2, sent: 2, new: 2, uploaded: 1, deduplicated: 0, failed: 1 });
    expect(await contentOf(host)).toEqual({ [a]: true, [join(root, 'z/b')]: true });
  });
});
