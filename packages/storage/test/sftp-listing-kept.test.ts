/**
 * An SFTP listing read page after page keeps what follows a page for the next one (SFTP reads a folder only whole),
 * as a local listing keeps its walk (local-listing-reads, local-listing-fresh-stats), with the same contract: the
 * folder is read again when it changed since (or was read within SETTLED_MS of a change), so that what was added
 * after the cursor is listed and what was removed is not, no entry twice; each entry of a kept listing is described
 * during the page that lists it (a file written to between pages is listed as it is then, one gone is left out).
 * Against the real OpenSSH sshd; folder reads are counted on the real session's channel.
 */
import { appendFileSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { EntryStat, ListOptions, ListPage } from '@org/core';
import type { Session, SftpConnection, SFTPWrapper } from '../src/backends/sftp/connection.js';
import { SftpBackend } from '../src/backends/sftp/index.js';
import { SETTLED_MS } from '../src/backends/sftp/list.js';
import { sftpConnectionAt } from './services/sftp.js';

const { connection, base, close } = await sftpConnectionAt('ufs-sftp-kept-');
afterAll(close, 30_000);

/** Requests sent on the session, by SFTP method. */
const calls = new Map<string, number>();
const real = await connection.session();
const sftp = new Proxy(real.sftp, {
  get: (target, p) => {
    const value: unknown = Reflect.get(target, p, target);
    if (typeof value !== 'function') return value;
    return (...args: unknown[]) => {
      calls.set(String(p), (calls.get(String(p)) ?? 0) + 1);
      return (value as (...a: unknown[]) => unknown).apply(target, args);
    };
  },
}) as SFTPWrapper;
const session: Session = { ...real, sftp };
let backend: SftpBackend;
beforeEach(() => {
  calls.clear();
  // A fresh backend (and session object) a test: nothing kept from another test.
  const own: Session = { ...session };
  backend = new SftpBackend({ session: () => Promise.resolve(own) } as unknown as SftpConnection, {
    mountName: 'kept',
    fsync: false,
  });
});
const readdirs = () => calls.get('readdir') ?? 0;

const name = (i: number) => `f${String(i).padStart(3, '0')}.txt`;
const keys = (entries: EntryStat[]) => entries.map((e) => e.key);

/** A folder of `names` (each file holding its name), dated back so that its listing is kept. */
function folder(path: string, names: string[]): void {
  mkdirSync(join(base, path), { recursive: true });
  for (const n of names) writeFileSync(join(base, path, n), n);
  settle(path);
}

/** Dates a folder's mtime back past SETTLED_MS (as if changed long ago), to `at` when given. */
function settle(path: string, at = new Date(Date.now() - 60_000)): void {
  utimesSync(join(base, path), at, at);
}

/** Every page of `key` from `options.cursor` on, following cursors. */
async function pages(key: string, options: ListOptions): Promise<EntryStat[][]> {
  const out: EntryStat[][] = [];
  let cursor = options.cursor;
  do {
    const page: ListPage = await backend.list(key, { ...options, cursor });
    out.push(page.entries);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

describe('an SFTP listing read page after page', () => {
  it('reads the folder once, not once a page, and pages it exactly as one page would', async () => {
    folder(
      'big',
      Array.from({ length: 95 }, (_, i) => name(i)),
    );
    const paged = await pages('big', { pageSize: 10 });
    expect(paged.map((p) => p.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    expect(readdirs()).toBe(1);
    const whole = (await backend.list('big', { pageSize: 1000 })).entries;
    expect(paged.flat()).toEqual(whole);
    expect(keys(whole)).toEqual(Array.from({ length: 95 }, (_, i) => `big/${name(i)}`));
  });

  it('a cursor given twice gives the same page twice (the second reads the folder again)', async () => {
    folder(
      'twice',
      Array.from({ length: 30 }, (_, i) => name(i)),
    );
    const first = await backend.list('twice', { pageSize: 10 });
    const a = await backend.list('twice', { pageSize: 10, cursor: first.cursor });
    const b = await backend.list('twice', { pageSize: 10, cursor: first.cursor });
    expect(keys(a.entries)).toEqual(Array.from({ length: 10 }, (_, i) => `twice/${name(10 + i)}`));
    expect(keys(b.entries)).toEqual(keys(a.entries));
    expect(b.cursor).toBe(a.cursor);
    expect(readdirs()).toBe(2);
  });

  it('keeps the rests of 16 listings: the oldest of 17 reads its folder again, and every one goes on exactly', async () => {
    folder(
      'many',
      Array.from({ length: 40 }, (_, i) => name(i)),
    );
    const firsts: ListPage[] = [];
    for (let size = 1; size <= 17; size++) firsts.push(await backend.list('many', { pageSize: size }));
    expect(readdirs()).toBe(17);
    const next = async (size: number) =>
      keys((await backend.list('many', { pageSize: 3, cursor: firsts[size - 1]!.cursor })).entries);
    expect(await next(17)).toEqual([17, 18, 19].map((i) => `many/${name(i)}`));
    expect(readdirs()).toBe(17);
    expect(await next(1)).toEqual([1, 2, 3].map((i) => `many/${name(i)}`));
    expect(readdirs()).toBe(18);
  });

  it('a folder changed between two pages is read again: what was added is seen, what was removed is not', async () => {
    folder(
      'changing',
      Array.from({ length: 150 }, (_, i) => name(2 * i)),
    );
    const first = await backend.list('changing', { pageSize: 10 });
    expect(keys(first.entries).at(-1)).toBe(`changing/${name(18)}`);
    writeFileSync(join(base, 'changing', name(21)), 'new');
    rmSync(join(base, 'changing', name(22)));
    const rest = (await pages('changing', { pageSize: 10, cursor: first.cursor })).flat();
    const expected = [21, ...Array.from({ length: 140 }, (_, i) => 20 + 2 * i).filter((i) => i !== 22)].sort(
      (x, y) => x - y,
    );
    expect(keys(rest)).toEqual(expected.map((i) => `changing/${name(i)}`));
    // Read again at the next page (and at each page while the change is recent: see SETTLED_MS).
    expect(readdirs()).toBeGreaterThanOrEqual(2);
  });

  it('a folder read within SETTLED_MS of its last change is not kept: a change in the same second is seen', async () => {
    mkdirSync(join(base, 'recent'));
    for (const i of [0, 2, 4, 6]) writeFileSync(join(base, 'recent', name(i)), 'x');
    const first = await backend.list('recent', { pageSize: 2 });
    // Most likely within the same second as the read: the folder's mtime (whole seconds over SFTP) may not move.
    writeFileSync(join(base, 'recent', name(3)), 'x');
    const rest = (await pages('recent', { pageSize: 2, cursor: first.cursor })).flat();
    expect(keys([...first.entries, ...rest])).toEqual([0, 2, 3, 4, 6].map((i) => `recent/${name(i)}`));
    expect(readdirs()).toBeGreaterThanOrEqual(2);
    expect(SETTLED_MS).toBeGreaterThanOrEqual(1000);
  });

  it('lists files written to between pages as they are now (their folder unchanged)', async () => {
    folder('fresh', [...'abcdefghij']);
    let page = await backend.list('fresh', { pageSize: 2 });
    const seen: EntryStat[] = [...page.entries];
    // Appending leaves the folder as it was: the kept listing is taken, its entries described again.
    appendFileSync(join(base, 'fresh', 'c'), 'more data');
    appendFileSync(join(base, 'fresh', 'd'), 'more data');
    while (page.cursor !== undefined) {
      page = await backend.list('fresh', { pageSize: 2, cursor: page.cursor });
      for (const entry of page.entries) {
        const now = statSync(join(base, entry.key));
        expect({ key: entry.key, size: entry.size, mtime: entry.mtime }).toEqual({
          key: entry.key,
          size: now.size,
          mtime: new Date(Math.floor(now.mtimeMs / 1000) * 1000),
        });
      }
      for (const n of 'efghij') appendFileSync(join(base, 'fresh', n), 'y');
      seen.push(...page.entries);
    }
    expect(keys(seen)).toEqual([...'abcdefghij'].map((n) => `fresh/${n}`));
    expect(seen.find((e) => e.key === 'fresh/c')!.size).toBe(10);
    expect(readdirs()).toBe(1);
  });

  it('leaves out a file removed between pages even when its folder looks unchanged', async () => {
    folder('gone', [...'abcdef']);
    const before = statSync(join(base, 'gone')).mtime;
    const first = await backend.list('gone', { pageSize: 2 });
    rmSync(join(base, 'gone', 'c'));
    rmSync(join(base, 'gone', 'e'));
    // The removals' change of the folder's time undone (as a change in the same second as the read would leave it).
    settle('gone', before);
    const rest = (await pages('gone', { pageSize: 2, cursor: first.cursor })).flat();
    expect(keys([...first.entries, ...rest])).toEqual(['gone/a', 'gone/b', 'gone/d', 'gone/f']);
    expect(readdirs()).toBe(1);
  });
});
