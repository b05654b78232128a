import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isUfsError } from '@org/core';
import { uploadFiles, type BatchItem, type UploadFilesOptions } from '../src/index.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { staticServer } from './fakes/mount-harness.js';
import { FAST_RETRY, download, randomFile, tempDir } from './helpers.js';

// Two files of a batch named alike meet only on a provider whose key comes from the name (a real local mount served by
// a static web server), and only when both are about to be stored there: a provider tried before it (the catbox and
// 0x0 fakes, real HTTP servers) takes them without any clash, a refusal there is that provider's failure (the file
// goes on to the next provider), and a path given twice is one file, uploaded once.
let catbox: Harness;
let x0: Harness;
let dir: string;
let cleanup: () => Promise<void>;
let web: Awaited<ReturnType<typeof staticServer>>;
let root: string;
let env: Record<string, string>;

beforeAll(async () => {
  [catbox, x0] = await Promise.all([HARNESSES.catbox!(), HARNESSES['0x0']!()]);
  env = { ...catbox.env, ...x0.env };
  ({ dir, cleanup } = await tempDir('ufs-batch-keys-'));
  root = join(dir, 'root');
  await mkdir(root);
  web = await staticServer(root);
});
afterAll(async () => {
  await Promise.all([catbox.stop(), x0.stop(), web.stop(), cleanup()]);
});
afterEach(() => [catbox, x0].forEach((h) => h.fake.reset()));

/** Options publishing into `root/<folder>` through the local mount. */
function opts(folder: string, providers: string[], extra: UploadFilesOptions = {}): UploadFilesOptions {
  return {
    providers,
    env,
    retry: FAST_RETRY,
    maxAttempts: 1,
    providerOptions: {
      mount: {
        mounts: [{ name: 'site', protocol: 'local', root, baseUrl: `${web.url}/`, fsync: false }],
        target: `site:${folder}`,
      },
    },
    ...extra,
  };
}

/** Two files named `same.txt` in two folders, with different bytes (the first `firstSize` bytes long). */
async function twins(name: string, firstSize = 4096): Promise<Array<{ path: string; bytes: Buffer }>> {
  const files = [];
  for (const [index, folder] of ['d1', 'd2'].entries()) {
    await mkdir(join(dir, name, folder), { recursive: true });
    files.push(await randomFile(join(dir, name, folder), 'same.txt', index === 0 ? firstSize : 4096));
  }
  return files;
}

function ok(item: BatchItem): Extract<BatchItem, { ok: true }> {
  if (!item.ok) throw item.error;
  return item;
}

describe('two files with one name, where the name-keyed provider is only a fallback', () => {
  it('catbox first: both go to catbox, neither is refused', async () => {
    const [a, b] = await twins('first-choice');
    const items = await uploadFiles([a!.path, b!.path], opts('first-choice', ['catbox', 'mount']));
    expect(items.map((item) => item.ok && item.result.provider)).toEqual(['catbox', 'catbox']);
    for (const [index, item] of items.entries()) {
      expect((await download(ok(item).result.url)).bytes.equals([a, b][index]!.bytes)).toBe(true);
    }
    expect(catbox.fake.uploads).toBe(2);
  });

  it('catbox failing: the first takes the mount key, the second is refused there and falls back to 0x0', async () => {
    const [a, b] = await twins('fallback');
    catbox.fake.fail(500, { times: 10 });
    const items = await uploadFiles([a!.path, b!.path], opts('fallback', ['catbox', 'mount', '0x0']));
    const [first, second] = items.map(ok);
    expect(first!.result.provider).toBe('mount');
    expect((await readFile(join(root, 'fallback/same.txt'))).equals(a!.bytes)).toBe(true);
    expect(second!.result.provider).toBe('0x0');
    expect((await download(second!.result.url)).bytes.equals(b!.bytes)).toBe(true);
    const refusal = second!.result.report.find((entry) => entry.provider === 'mount');
    expect(refusal).toMatchObject({ outcome: 'failed', attempts: 0, code: 'INVALID_INPUT', retryable: false });
    expect(refusal!.reason).toContain(`"${a!.path}" in the same batch has the same name "same.txt"`);
    expect(refusal!.reason).toMatch(/option unique/);
  });

  it('the earlier file keeps the key even when the later one reaches the provider first', async () => {
    // The first is larger: hashed longer, it would reach the mount after the second without the wait.
    const [a, b] = await twins('order', 24 * 1024 * 1024);
    const items = await uploadFiles([a!.path, b!.path], opts('order', ['mount']));
    expect(items.map((item) => item.ok)).toEqual([true, false]);
    const refused = items[1]!;
    if (refused.ok) return;
    expect(isUfsError(refused.error, 'INVALID_INPUT')).toBe(true);
    expect(refused.error.message).toContain(`"${a!.path}" in the same batch`);
    expect((await readFile(join(root, 'order/same.txt'))).equals(a!.bytes)).toBe(true);
  });

  it('a file whose twin was taken by another provider gets the key', async () => {
    const [a, b] = await twins('twin-elsewhere');
    const items = await uploadFiles(
      [a!.path, b!.path],
      opts('twin-elsewhere', ['catbox', 'mount'], {
        concurrency: 1,
        // The first went to catbox; catbox then fails for the second, which goes to the mount.
        onSettled: (index) => void (index === 0 && catbox.fake.fail(500, { times: 10 })),
      }),
    );
    expect(items.map((item) => item.ok && item.result.provider)).toEqual(['catbox', 'mount']);
    expect((await readFile(join(root, 'twin-elsewhere/same.txt'))).equals(b!.bytes)).toBe(true);
  });

  it('an earlier file that failed there and left nothing does not keep the key', async () => {
    const [a, b] = await twins('left-nothing');
    // The mount's URLs answer 404 until the first file has failed there (its copy then deleted).
    let broken = true;
    const server = createServer((req, res) => {
      if (broken) return void res.writeHead(404).end();
      void readFile(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))).then(
        (bytes) => res.writeHead(200).end(bytes),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const options = opts('left-nothing', ['mount', '0x0'], {
        onFileEvent: (index, event) => void (index === 0 && event.type === 'failure' && (broken = false)),
      });
      const mount = options.providerOptions!.mount as { mounts: Array<Record<string, unknown>> };
      mount.mounts[0]!.baseUrl = base;
      const items = (await uploadFiles([a!.path, b!.path], options)).map(ok);
      expect(items.map((item) => item.result.provider)).toEqual(['0x0', 'mount']);
      expect(items[0]!.result.report[0]).toMatchObject({ provider: 'mount', outcome: 'failed', deleted: true });
      expect((await readFile(join(root, 'left-nothing/same.txt'))).equals(b!.bytes)).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });

  it('fragile: the refusal stops the file there, as any failure would', async () => {
    const [a, b] = await twins('fragile');
    const items = await uploadFiles([a!.path, b!.path], opts('fragile', ['mount', 'catbox'], { fragile: true }));
    expect(items.map((item) => item.ok)).toEqual([true, false]);
    const refused = items[1]!;
    if (refused.ok) return;
    expect(refused.error.code).toBe('INVALID_INPUT');
    expect(refused.error.message).toContain('fragile: no fallback');
    expect(catbox.fake.uploads).toBe(0);
  });
});

describe('a path given twice', () => {
  it('is uploaded once; each position gets its item, in order, and its onSettled call', async () => {
    await mkdir(join(dir, 'twice', 'sub'), { recursive: true });
    const file = await randomFile(join(dir, 'twice'), 'b.bin');
    const other = await randomFile(join(dir, 'twice'), 'c.bin');
    const again = join(dir, 'twice', 'sub', '..', 'b.bin'); // the same file, written otherwise
    const settled: number[] = [];
    const successes: number[] = [];
    let events = 0;
    const paths = [file.path, other.path, file.path, again];
    const items = await uploadFiles(
      paths,
      opts('twice', ['mount'], {
        onSettled: (index) => settled.push(index),
        // Each position sees the events of the upload that serves it; onEvent gets them once.
        onFileEvent: (index, event) => void (event.type === 'success' && successes.push(index)),
        onEvent: (event) => void (event.type === 'success' && events++),
      }),
    );
    expect(items.map((item) => item.path)).toEqual(paths);
    const urls = items.map((item) => ok(item).result.url);
    expect(urls[2]).toBe(urls[0]);
    expect(urls[3]).toBe(urls[0]);
    expect(urls[1]).not.toBe(urls[0]);
    expect((await download(urls[0]!)).bytes.equals(file.bytes)).toBe(true);
    expect((await readdir(join(root, 'twice'))).sort()).toEqual(['b.bin', 'c.bin']);
    expect(settled.sort()).toEqual([0, 1, 2, 3]);
    expect(successes.sort()).toEqual([0, 1, 2, 3]);
    expect(events).toBe(2);
  });

  it("a failure is each position's failure", async () => {
    const missing = join(dir, 'missing.bin');
    const items = await uploadFiles([missing, missing], opts('missing', ['catbox']));
    expect(items.map((item) => !item.ok && item.error.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect(catbox.fake.uploads).toBe(0);
  });
});
