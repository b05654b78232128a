// Dropbox copy/move onto an existing file (Dropbox never overwrites, so the backend replaces it in steps), against
// the local Dropbox API fake with faults injected by wrapping the backend's fetch: whatever step fails, the previous
// destination is still there (or, if even putting it back fails, where the error says), never lost.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { expectUfsError, get, listAll, put } from '@org/storage-testing';
import definition from '../../src/backends/dropbox/index.js';
import type { FetchFunction } from '../../src/backends/http/fetch-stream.js';
import { startDropboxFake } from '@org/test-services';

const fake = await startDropboxFake();
afterAll(() => fake.close());
fake.tokens.add('good-token');

/** The count-th call of copy_v2/move_v2 whose destination is `name` fails (500) when `fails(count)`. */
let fails: (count: number) => boolean = () => false;
const name = 'dst.txt';
let count = 0;
const faulty: FetchFunction = (input, init) => {
  const url = typeof input === 'string' ? input : input.href;
  if (/files\/(copy|move)_v2$/.test(url)) {
    const arg = JSON.parse(String(init?.body)) as { to_path: string };
    if (arg.to_path.toLowerCase().endsWith(`/${name}`) && fails(++count))
      return Promise.resolve(new Response('Internal Server Error', { status: 500 }));
  }
  return globalThis.fetch(input, init);
};

let box: StorageBackend;
beforeEach(async () => {
  box = (await definition.create(
    definition.options.parse({
      accessToken: 'good-token',
      apiBaseUrl: fake.url,
      root: `Apps/r${randomBytes(3).toString('hex')}`,
      fetch: faulty,
    }),
    { mountName: 'box', env: {} },
  )) as StorageBackend;
  fails = () => false;
  count = 0;
  await put(box, 'src.txt', 'new');
  await put(box, 'dst.txt', 'old');
});

const text = async (key: string) => (await get(box, key)).toString();
const keys = async () => (await listAll(box, '', { recursive: true })).map((e) => e.key).sort();

describe('dropbox copy and rename over an existing file', () => {
  it('replace it, leaving no temporary file', async () => {
    await box.copy!('src.txt', 'dst.txt');
    expect(await text('dst.txt')).toBe('new');
    await put(box, 'dst.txt', 'old again');
    await box.rename!('src.txt', 'dst.txt');
    expect(await text('dst.txt')).toBe('new');
    expect(await keys()).toEqual(['dst.txt']);
  });

  it('a copy that cannot be put in place leaves the previous file', async () => {
    fails = (n) => n === 2; // the first call onto dst.txt is the one Dropbox refuses (it exists)
    await expectUfsError(box.copy!('src.txt', 'dst.txt'), 'UNAVAILABLE');
    expect(await text('dst.txt')).toBe('old');
    expect(await text('src.txt')).toBe('new');
    expect(await keys()).toEqual(['dst.txt', 'src.txt']);
  });

  it('a rename that cannot be put in place leaves both files', async () => {
    fails = (n) => n === 2;
    await expectUfsError(box.rename!('src.txt', 'dst.txt'), 'UNAVAILABLE');
    expect(await text('dst.txt')).toBe('old');
    expect(await text('src.txt')).toBe('new');
    expect(await keys()).toEqual(['dst.txt', 'src.txt']);
  });

  it('when the previous file cannot be put back either, the error says where it is kept', async () => {
    fails = (n) => n > 1;
    const error = await expectUfsError(box.rename!('src.txt', 'dst.txt'), 'UNAVAILABLE');
    const backup = (await keys()).find((key) => key.endsWith('.old'));
    expect(backup).toMatch(/^\.dst\.txt\.ufs-[0-9a-f]{12}\.old$/);
    expect(error.message).toContain(`is kept as "${backup}"`);
    expect(await text(backup!)).toBe('old');
    expect(await text('src.txt')).toBe('new');
  });
});
