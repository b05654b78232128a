// Dropbox's list_folder `limit` is approximate: a batch may hold more entries than asked for. The backend never hands
// out a page over `pageSize`: the surplus is kept for the next pages (no call to Dropbox until it is used up), and a
// cursor whose kept rest is gone (another process, an expired rest) asks for that batch again and resumes after the
// page's last entry. The Dropbox fake is made to overfill its batches by a proxy in front of it that asks it for
// three times the `limit` the backend sent (the fake's cursors keep that limit for the rest of the listing).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EntryStat, StorageBackend } from '@org/core';
import { put } from '@org/storage-testing';
import { startDropboxFake, type DropboxFake } from '@org/test-services';
import definition from '../src/backends/dropbox/index.js';

let fake: DropboxFake;
let proxy: Server;
let proxyUrl: string;
/** What each list_folder batch held (entries, folder included for recursive ones). */
const batches: number[] = [];

beforeAll(async () => {
  fake = await startDropboxFake();
  fake.tokens.add('pages-token');
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        let body = Buffer.concat(chunks);
        if (req.url?.endsWith('/files/list_folder')) {
          const arg = JSON.parse(body.toString('utf8')) as { limit?: number };
          body = Buffer.from(JSON.stringify({ ...arg, limit: (arg.limit ?? 2000) * 3 }));
        }
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([name]) => name !== 'host' && name !== 'content-length'),
        ) as Record<string, string>;
        const answer = await fetch(`${fake.url.replace(/\/+$/, '')}${req.url ?? '/'}`, {
          method: req.method,
          headers,
          body: req.method === 'POST' ? body : undefined,
        });
        const text = Buffer.from(await answer.arrayBuffer());
        if (/\/files\/list_folder(\/continue)?$/.test(req.url ?? '') && answer.ok) {
          batches.push((JSON.parse(text.toString('utf8')) as { entries: unknown[] }).entries.length);
        }
        const kept = ['content-type', 'dropbox-api-result', 'retry-after'];
        res.writeHead(
          answer.status,
          Object.fromEntries(
            kept.flatMap((name) => (answer.headers.has(name) ? [[name, answer.headers.get(name)!]] : [])),
          ),
        );
        res.end(text);
      })().catch((err: unknown) => res.destroy(err as Error));
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await fake.close();
});

async function mount(root: string): Promise<StorageBackend> {
  const options = definition.options.parse({ accessToken: 'pages-token', apiBaseUrl: proxyUrl, root });
  return (await definition.create(options, { mountName: 'box', env: {} })) as StorageBackend;
}

/** Every page of a listing; each page's size is checked against `pageSize`. */
async function pages(backend: StorageBackend, key: string, pageSize: number, recursive = false) {
  const seen: EntryStat[][] = [];
  let cursor: string | undefined;
  do {
    const page = await backend.list(key, { pageSize, recursive, ...(cursor ? { cursor } : {}) });
    seen.push(page.entries);
    cursor = page.cursor;
  } while (cursor);
  return seen;
}

const names = Array.from({ length: 25 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);

describe('dropbox listings whose batches hold more than the page size', () => {
  it('hand out pages of pageSize at most, every entry once, the surplus without asking Dropbox again', async () => {
    const box = await mount('Apps/pages');
    for (const name of names) await put(box, `flat/${name}`, name);
    batches.length = 0;
    const listed = await pages(box, 'flat', 4);
    // The fake really gave more than asked for: batches of 12 for a page size of 4.
    expect(batches).toEqual([12, 12, 1]);
    expect(listed.map((page) => page.length)).toEqual([4, 4, 4, 4, 4, 4, 1]);
    expect(listed.flat().map((entry) => entry.key)).toEqual(names.map((name) => `flat/${name}`));
  });

  it('do so in recursive listings too, folders included', async () => {
    const box = await mount('Apps/tree');
    const keys = ['a/one.txt', 'a/two.txt', 'a/b/three.txt', 'c/four.txt', 'c/d/e/five.txt', 'six.txt'];
    for (const key of keys) await put(box, `t/${key}`, key);
    const listed = await pages(box, 't', 2, true);
    expect(listed.every((page) => page.length <= 2)).toBe(true);
    const all = listed.flat().map((entry) => `${entry.isDir ? 'dir' : 'file'} ${entry.key}`);
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(
      [
        ...keys.map((key) => `file t/${key}`),
        ...['a', 'a/b', 'c', 'c/d', 'c/d/e'].map((folder) => `dir t/${folder}`),
      ].sort(),
    );
  });

  it('resume a cursor whose kept rest is gone (another process) after its last entry', async () => {
    const first = await mount('Apps/pages');
    const page = await first.list('flat', { pageSize: 4 });
    expect(page.entries.map((entry) => entry.key)).toEqual(names.slice(0, 4).map((name) => `flat/${name}`));
    const other = await mount('Apps/pages');
    const next = await other.list('flat', { pageSize: 4, cursor: page.cursor! });
    expect(next.entries.map((entry) => entry.key)).toEqual(names.slice(4, 8).map((name) => `flat/${name}`));
    const rest = [];
    let cursor = next.cursor;
    while (cursor) {
      const more = await other.list('flat', { pageSize: 4, cursor });
      expect(more.entries.length).toBeLessThanOrEqual(4);
      rest.push(...more.entries.map((entry) => entry.key));
      cursor = more.cursor;
    }
    expect(rest).toEqual(names.slice(8).map((name) => `flat/${name}`));
  });
});
