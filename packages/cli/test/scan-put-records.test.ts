import { afterAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FileMetadataInput } from '@org/core';
import { DedupClient } from '../src/api/dedup-client.js';
import { MAX_REFUSALS_PER_BATCH, putRecords } from '../src/scan/put-records.js';

// putRecords against a stand-in for the server (the real one is in scan-failures.test.ts): how many requests a batch
// costs when the server refuses records or batch sizes, and that it always ends.

interface Item {
  path: string;
  meta: FileMetadataInput;
}

const item = (i: number): Item => ({
  path: `/t/f${i}`,
  meta: { hostname: 'h', filepath: `/t/f${i}`, sha256: String(i).padStart(64, '0') } as FileMetadataInput,
});

/**
 * A local server answering POST /put_files as the ufs server does: 413 past `max` records, 400 naming the first
 * record whose path is in `bad`, or `fail`'s status; a real DedupClient talks to it.
 */
async function server(options: { max?: number; bad?: ReadonlySet<string>; fail?: () => number | undefined }) {
  const sizes: number[] = [];
  const http: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += String(chunk)));
    req.on('end', () => {
      const records = (JSON.parse(body) as { files: FileMetadataInput[] }).files;
      sizes.push(records.length);
      const answer = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      const failure = options.fail?.();
      if (failure) return answer(failure, { detail: 'no' });
      if (options.max !== undefined && records.length > options.max)
        return answer(413, { detail: `a batch holds at most ${options.max} records (got ${records.length})` });
      const index = records.findIndex((r) => options.bad?.has(r.filepath));
      if (index >= 0) return answer(400, { detail: `invalid record files[${index}]: filepath: not this one` });
      // One result per record, as the server answers (the client refuses a 200 of another shape).
      const results = records.map((r, i) => ({
        _id: String(i),
        hostname: r.hostname,
        filepath: r.filepath,
        sha256: r.sha256,
        upload_required: true,
        upload_url: `/upload_file/${r.sha256}`,
      }));
      answer(200, { results, upload_required: [...new Set(records.map((r) => r.sha256))] });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const client = new DedupClient({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, apiKey: 'k' });
  closers.push(() => {
    http.closeAllConnections();
    return new Promise<void>((resolve) => http.close(() => resolve()));
  });
  return { client, sizes };
}

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

describe('putRecords', () => {
  it('splits a batch the server finds too large (413) until it fits, and says at what size', async () => {
    const { client, sizes } = await server({ max: 3 });
    const items = Array.from({ length: 10 }, (_, i) => item(i));
    const out = await putRecords(client, items);
    expect(out.refused).toEqual([]);
    expect(out.failed).toBeUndefined();
    expect(out.answered.flatMap((a) => a.items)).toEqual(items);
    expect(sizes).toEqual([10, 5, 3, 2, 5, 3, 2]);
    expect(out.tooLarge).toBe(5);
  });

  it('a record refused alone fails alone; the others are sent again (without it)', async () => {
    const { client, sizes } = await server({ bad: new Set(['/t/f2', '/t/f7']) });
    const out = await putRecords(
      client,
      Array.from({ length: 10 }, (_, i) => item(i)),
    );
    expect(out.refused.map((r) => [r.item.path, r.error.code, r.error.message])).toEqual([
      [
        '/t/f2',
        'INVALID_INPUT',
        '[ufs] [server] put_files "/t/f2": the server refused the record: filepath: not this one',
      ],
      [
        '/t/f7',
        'INVALID_INPUT',
        '[ufs] [server] put_files "/t/f7": the server refused the record: filepath: not this one',
      ],
    ]);
    expect(out.answered.flatMap((a) => a.items).map((i) => i.path)).toHaveLength(8);
    expect(sizes).toEqual([10, 9, 8]);
  });

  it('stops sending a batch again after MAX_REFUSALS_PER_BATCH refusals: the rest fails, by record', async () => {
    const all = Array.from({ length: 40 }, (_, i) => item(i));
    const { client, sizes } = await server({ bad: new Set(all.map((i) => i.path)) });
    const out = await putRecords(client, all);
    expect(sizes).toHaveLength(MAX_REFUSALS_PER_BATCH);
    expect(out.refused).toHaveLength(MAX_REFUSALS_PER_BATCH);
    expect(out.failed?.items).toHaveLength(40 - MAX_REFUSALS_PER_BATCH);
    expect(out.failed?.error.message).toMatch(/not sent again: the server refused 16 records of this batch/);
  });

  it('any other error fails what was not sent yet; what the server took stays taken', async () => {
    let calls = 0;
    const { client } = await server({
      max: 2,
      fail: () => (++calls === 3 ? 401 : undefined),
    });
    const out = await putRecords(
      client,
      Array.from({ length: 4 }, (_, i) => item(i)),
    );
    // 4 (413), 2 (taken), 2 (401)
    expect(out.answered.flatMap((a) => a.items).map((i) => i.path)).toEqual(['/t/f0', '/t/f1']);
    expect(out.failed?.items.map((i) => i.path)).toEqual(['/t/f2', '/t/f3']);
    expect(out.failed?.error.code).toBe('PERMISSION_DENIED');
  });

  it('a single record too large even alone fails alone (TOO_LARGE)', async () => {
    const { client } = await server({ max: 0 });
    const out = await putRecords(client, [item(1), item(2)]);
    expect(out.refused.map((r) => [r.item.path, r.error.code])).toEqual([
      ['/t/f1', 'TOO_LARGE'],
      ['/t/f2', 'TOO_LARGE'],
    ]);
    expect(out.answered).toEqual([]);
  });
});
