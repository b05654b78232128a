import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashCache } from '../src/scan/cache.js';
import type { SentRecords } from '../src/scan/sent-records.js';

// The memory of sent records on a server with catalogue revisions (a real cache file): which batch answers let it
// keep what it remembers, and which make it forget the host. The scan and the server side are in
// scan-catalogue-revision.test.ts.

const SERVER = 'http://dedup.test';
let dir: string;
let cache: HashCache;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ufs-sent-rev-'));
  cache = new HashCache(join(dir, 'cache.db'), { flushEvery: 1 });
});
afterEach(async () => {
  cache.close();
  await rm(dir, { recursive: true, force: true });
});

const rec = (filepath: string) => ({ hostname: 'h', filepath });
/** One batch of `paths` answered with the step `before → after`, its records then held. */
function batch(sent: SentRecords, paths: string[], before: string | null, after: string) {
  sent.batch(paths.map(rec), { h: { before, after } });
  return () => paths.forEach((p) => sent.remember(p, `print ${p}`));
}
/** A new scan of the cache (closed and opened again) under `revision`: which paths it trusts. */
function reopen(revision: string, paths: string[]): string[] {
  cache.close();
  cache = new HashCache(join(dir, 'cache.db'), { flushEvery: 1 });
  const sent = cache.sentRecords(SERVER, 'h', 'e1', revision);
  return paths.filter((p) => sent.has(p, `print ${p}`));
}

describe('SentRecords with catalogue revisions', () => {
  it('follows the chain of its own batches answered in any order, and keeps the memory under the last revision', () => {
    const sent = cache.sentRecords(SERVER, 'h', 'e1', '0');
    const third = batch(sent, ['/c'], '2.b', '3.c');
    const first = batch(sent, ['/a'], '0', '1.a');
    third(); // held before its batch joins the chain: not written yet
    first();
    const second = batch(sent, ['/b'], '1.a', '2.b');
    second();
    cache.flush();
    expect(reopen('3.c', ['/a', '/b', '/c'])).toEqual(['/a', '/b', '/c']);
    // Another revision now (another client wrote, or a restore): all forgotten.
    expect(reopen('4.x', ['/a', '/b', '/c'])).toEqual([]);
  });

  it('a batch whose `before` another write came before: the host is forgotten at the end of the scan', () => {
    const sent = cache.sentRecords(SERVER, 'h', 'e1', '0');
    batch(sent, ['/a'], '0', '1.a')();
    batch(sent, ['/b'], '2.other', '3.b')(); // 1.a → 2.other was someone else's write
    cache.flush();
    expect(reopen('3.b', ['/a', '/b'])).toEqual([]);
  });

  it('a step whose `before` the server could not tell (null), or an answer without revisions, forgets the host', () => {
    let sent = cache.sentRecords(SERVER, 'h', 'e1', '0');
    batch(sent, ['/a'], '0', '1.a')();
    cache.flush();
    expect(reopen('1.a', ['/a'])).toEqual(['/a']);
    sent = cache.sentRecords(SERVER, 'h', 'e1', '1.a');
    batch(sent, ['/b'], null, '3.b')();
    cache.flush();
    expect(reopen('3.b', ['/a', '/b'])).toEqual([]);
    sent = cache.sentRecords(SERVER, 'h', 'e1', '3.b');
    batch(sent, ['/c'], '3.b', '4.c')();
    sent.batch([rec('/d')], undefined);
    sent.remember('/d', 'print /d');
    cache.flush();
    expect(reopen('4.c', ['/c', '/d'])).toEqual([]);
  });

  it('a batch the server found as sent (before = after) keeps the memory when on the chain, forgets it when not', () => {
    let sent = cache.sentRecords(SERVER, 'h', 'e1', '0');
    batch(sent, ['/b'], '1.a', '1.a')(); // answered before the batch that reaches 1.a
    batch(sent, ['/a'], '0', '1.a')();
    cache.flush();
    expect(reopen('1.a', ['/a', '/b'])).toEqual(['/a', '/b']);
    sent = cache.sentRecords(SERVER, 'h', 'e1', '1.a');
    batch(sent, ['/c'], '2.other', '2.other')(); // another client wrote 1.a → 2.other first
    cache.flush();
    expect(reopen('2.other', ['/a', '/b', '/c'])).toEqual([]);
  });

  it('a memory kept without revisions (older ufs, or a server without them) is forgotten once revisions appear', () => {
    const plain = cache.sentRecords(SERVER, 'h', 'e1');
    plain.remember('/a', 'print /a');
    cache.flush();
    expect(reopen('5.x', ['/a'])).toEqual([]);
  });
});
