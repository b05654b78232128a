import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import { describeBackendContract, expectUfsError, generated, get, listAll, put, readAll } from '@org/storage-testing';
import definition from '../../src/backends/dropbox/index.js';
import { startDropboxFake } from '@org/test-services';

const MiB = 1024 * 1024;
const digest = (bytes: Buffer) => `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
const fake = await startDropboxFake();
afterAll(() => fake.close());
fake.tokens.add('good-token');

const create = async (raw: Record<string, unknown> = {}, env: Record<string, string> = {}) =>
  (await definition.create(
    definition.options.parse({ accessToken: 'good-token', apiBaseUrl: fake.url, chunkSize: 4 * MiB, ...raw }),
    { mountName: 'box', env },
  )) as StorageBackend;

// No Dropbox server can run here: the suite runs against @org/test-services, src/fakes/dropbox-server.ts (see its header for what it
// does not cover).
describeBackendContract(
  'dropbox (local fake of API v2)',
  { backend: await create({ root: 'contract' }) },
  { largeBytes: 10 * MiB },
);

describe('dropbox backend', () => {
  let box: StorageBackend;
  let root: string;
  beforeEach(async () => {
    root = `Apps/t${randomBytes(3).toString('hex')}`;
    box = await create({ root });
    fake.calls.length = 0;
  });

  it('maps a bad token to PERMISSION_DENIED on RPC and content calls', async () => {
    const bad = await create({ accessToken: 'wrong' });
    const calls = [() => bad.stat('a.txt'), () => bad.read('a.txt'), () => put(bad, 'a.txt', 'x'), () => bad.list('')];
    for (const call of calls) {
      const error = await expectUfsError(call(), 'PERMISSION_DENIED');
      expect(error.message).toMatch(
        /^\[ufs\] \[dropbox\] (stat|read|write|list) "box:(a\.txt)?": the access token is invalid or expired$/,
      );
      expect(error.context.summary).toMatch(/^invalid_access_token/);
      expect(error.context.status).toBe(401);
    }
  });

  it('names apiBaseUrl when fetch refuses its port (CONFIG_INVALID), on RPC, content and upload calls', async () => {
    // The fake's own URL, on a port fetch never connects to (the "bad ports" of the Fetch standard).
    const refused = await create({ apiBaseUrl: fake.url.replace(/:\d+/, ':1'), root });
    const calls = [
      () => refused.stat('a.txt'),
      () => refused.read('a.txt'),
      () => put(refused, 'a.txt', 'x'),
      () => refused.list(''),
    ];
    for (const call of calls) {
      const error = await expectUfsError(call(), 'CONFIG_INVALID');
      expect(error.message).toMatch(
        /^\[ufs\] \[dropbox\] (stat|read|write|list) "box:(a\.txt)?": apiBaseUrl uses port 1, which fetch refuses to connect to \(a blocked "bad port" of the Fetch standard\): use another port$/,
      );
    }
    expect(fake.calls).toHaveLength(0);
  });

  it('maps 429 to RATE_LIMITED, retryable, with Retry-After; 5xx to UNAVAILABLE', async () => {
    await put(box, 'r.txt', 'rate');
    fake.failNext(1, 429, { retryAfter: 3 });
    const limited = await expectUfsError(box.stat('r.txt'), 'RATE_LIMITED');
    expect(limited.retryable).toBe(true);
    expect(limited.retryAfterMs).toBe(3000);
    fake.failNext(1, 429, { route: 'files/download', retryAfter: 2 });
    expect((await expectUfsError(box.read('r.txt'), 'RATE_LIMITED')).retryAfterMs).toBe(2000);
    fake.failNext(1, 503);
    expect((await expectUfsError(box.list(''), 'UNAVAILABLE')).retryable).toBe(true);
    expect((await get(box, 'r.txt')).toString()).toBe('rate');
  });

  it('uploads a large stream of unknown size through an upload session, chunk by chunk', async () => {
    const chunked = await create({ root: 'sessions', chunkSize: MiB });
    const size = 3 * MiB + 12345;
    const progress: number[] = [];
    fake.calls.length = 0;
    const result = await chunked.write('big.bin', generated(size, 3), { onProgress: (n) => progress.push(n) });
    expect(result.size).toBe(size);
    const uploads = fake.calls.filter((c) => c.startsWith('files/upload'));
    expect(uploads[0]).toBe('files/upload_session/start');
    expect(uploads.filter((c) => c === 'files/upload_session/append_v2')).toHaveLength(3);
    expect(uploads.at(-1)).toBe('files/upload_session/finish');
    expect(uploads).not.toContain('files/upload');
    expect(progress.at(-1)).toBe(size);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(digest(await get(chunked, 'big.bin'))).toBe(digest(await readAll(generated(size, 3))));
    // A declared size that the stream does not keep is refused.
    await expectUfsError(chunked.write('liar.bin', generated(2 * MiB, 1), { size: 3 * MiB }));
    expect(await chunked.stat('liar.bin')).toBeNull();
  });

  it('sends small files in one files/upload with the content hash the SDK computes', async () => {
    await box.write('small.txt', Readable.from([Buffer.from('small')]));
    expect(fake.calls.filter((c) => c.startsWith('files/upload'))).toEqual(['files/upload']);
    const stat = await box.stat('small.txt');
    expect(stat).toMatchObject({ isFile: true, size: 5 });
    expect(stat?.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(stat?.hash).toBeUndefined();
  });

  it('enforces ifNotExists even for identical content (strict conflict)', async () => {
    await box.write('once.txt', Readable.from([Buffer.from('same')]), { ifNotExists: true });
    await expectUfsError(
      box.write('once.txt', Readable.from([Buffer.from('same')]), { ifNotExists: true }),
      'ALREADY_EXISTS',
    );
    await box.write('once.txt', Readable.from([Buffer.from('same')]));
  });

  it('refreshes short-lived tokens with refreshToken + appKey + appSecret, and refuses bad ones', async () => {
    fake.refreshTokens.set('refresh-1', { appKey: 'key', appSecret: 'secret' });
    const refreshing = await create({
      accessToken: undefined,
      refreshToken: 'refresh-1',
      appKey: 'key',
      appSecret: 'secret',
    });
    await put(refreshing, 'rt/file.txt', 'refreshed');
    expect((await get(refreshing, 'rt/file.txt')).toString()).toBe('refreshed');
    expect(fake.calls.filter((c) => c === 'oauth2/token')).toHaveLength(1);
    const revoked = await create({ accessToken: undefined, refreshToken: 'nope', appKey: 'key', appSecret: 'secret' });
    const refused = await expectUfsError(revoked.stat('x'), 'PERMISSION_DENIED');
    expect(refused.message).toMatch(/: the refresh token is invalid or revoked$/);
    expect(refused.context.summary).toMatch(/^invalid_grant/);
    await expectUfsError(revoked.read('x'), 'PERMISSION_DENIED');
  });

  it('takes credentials from the environment, and says what is missing', async () => {
    const fromEnv = await create({ accessToken: undefined }, { DROPBOX_ACCESS_TOKEN: 'good-token' });
    await put(fromEnv, 'env.txt', 'env');
    const error = await expectUfsError(create({ accessToken: undefined }), 'CONFIG_INVALID');
    expect(error.message).toMatch(/mount "box".*DROPBOX_ACCESS_TOKEN/);
  });

  it('keeps keys relative to the root folder, whatever Dropbox does with case', async () => {
    const rooted = await create({ root: '/Apps/Rooted' });
    await put(rooted, 'Folder/File.TXT', 'cased');
    expect(fake.store.metadata('/apps/rooted/folder/file.txt')).toMatchObject({
      path_display: '/Apps/Rooted/Folder/File.TXT',
    });
    expect(await rooted.stat('folder/file.txt')).toMatchObject({ isFile: true, size: 5 });
    expect((await listAll(rooted, 'FOLDER')).map((e) => e.key)).toEqual(['FOLDER/File.TXT']);
    expect((await listAll(rooted, '', { recursive: true })).map((e) => e.key)).toEqual(['Folder', 'Folder/File.TXT']);
    expect(await rooted.stat('')).toMatchObject({ isDir: true });
  });

  it('deletes: missing is fine, a non-empty folder needs recursive, the root keeps itself', async () => {
    await put(box, 'd/a.txt', 'a');
    await put(box, 'd/sub/b.txt', 'b');
    await expectUfsError(box.delete('d'), 'INVALID_INPUT');
    await box.delete('d/a.txt');
    await box.delete('d/a.txt');
    await box.delete('d', { recursive: true });
    expect(await box.stat('d')).toBeNull();
    await put(box, 'e/x.txt', 'x');
    await box.mkdir('empty', { parents: true });
    await box.delete('empty');
    await expectUfsError(box.delete(''), 'INVALID_INPUT');
    await box.delete('', { recursive: true });
    expect(await listAll(box, '')).toEqual([]);
    await expectUfsError(box.delete('x', { versionId: 'rev' }), 'UNSUPPORTED');
  });

  it('makes folders: parents on request, existOk only for folders', async () => {
    await expectUfsError(box.mkdir('p/q'), 'NOT_FOUND');
    await box.mkdir('p/q', { parents: true });
    await box.mkdir('p/q/r');
    await put(box, 'p/file.txt', 'f');
    await expectUfsError(box.mkdir('p/file.txt', { existOk: true }), 'ALREADY_EXISTS');
    await expectUfsError(box.mkdir('p/file.txt/x'), 'INVALID_INPUT');
  });

  it('copies and renames over existing files, not over folders', async () => {
    await put(box, 'src.txt', 'new');
    await put(box, 'dst.txt', 'old');
    await box.copy!('src.txt', 'dst.txt');
    expect((await get(box, 'dst.txt')).toString()).toBe('new');
    await put(box, 'moved.txt', 'older');
    await box.rename!('src.txt', 'moved.txt');
    expect((await get(box, 'moved.txt')).toString()).toBe('new');
    expect(await box.stat('src.txt')).toBeNull();
    await box.mkdir('folder', { parents: true });
    await expectUfsError(box.copy!('moved.txt', 'folder'), 'INVALID_INPUT');
    await expectUfsError(box.copy!('moved.txt', 'x.txt', { metadata: { a: 'b' } }), 'UNSUPPORTED');
  });

  it('gives 4-hour temporary links, and refuses any other lifetime', async () => {
    await put(box, 'link.txt', 'linked');
    const url = await box.presignGet!('link.txt', { expiresIn: 4 * 3600 });
    expect(await (await fetch(url)).text()).toBe('linked');
    await expectUfsError(box.presignGet!('link.txt', { expiresIn: 3600 }), 'UNSUPPORTED');
    await expectUfsError(box.presignGet!('link.txt', { expiresIn: 5 * 3600 }), 'INVALID_INPUT');
    await expectUfsError(box.presignGet!('absent.txt', { expiresIn: 4 * 3600 }), 'NOT_FOUND');
  });

  it("checks whole downloads against Dropbox's content_hash", async () => {
    const bytes = randomBytes(5 * MiB);
    await box.write('checked.bin', Readable.from([bytes]));
    expect(digest(await get(box, 'checked.bin'))).toBe(digest(bytes));
    const item = fake.store.file(`/${root}/checked.bin`);
    item.content = Buffer.from(bytes).fill(0, 100, 200);
    await expectUfsError(get(box, 'checked.bin'), 'INTEGRITY');
    expect(await get(box, 'checked.bin', { start: 300, end: 309 })).toEqual(bytes.subarray(300, 310));
  });

  it('stops an aborted download with ABORTED', async () => {
    await box.write('abort.bin', generated(6 * MiB, 2));
    const controller = new AbortController();
    const stream = await box.read('abort.bin', { signal: controller.signal });
    controller.abort();
    await expectUfsError(readAll(stream), 'ABORTED');
    await expectUfsError(box.read(''), 'INVALID_INPUT');
  });

  it('validates options and reads mount URLs', () => {
    const parse = (raw: Record<string, unknown>) => definition.options.safeParse(raw);
    expect(parse({ refreshToken: 'r' }).error?.issues[0]?.message).toMatch(/appKey is required/);
    expect(parse({ chunkSize: 1024 }).error?.issues[0]?.message).toMatch(/at least 1 MiB/);
    expect(parse({ chunkSize: 200 * MiB }).error?.issues[0]?.message).toMatch(/150 MiB/);
    expect(parse({ root: '../up' }).error?.issues[0]?.message).toMatch(/root must be a folder path/);
    expect(parse({ apiBaseUrl: 'ftp://x' }).success).toBe(false);
    expect(parse({ token: 'x' }).success).toBe(false);
    expect(definition.fromUrl?.(new URL('dropbox://Apps/Back%20up/'))).toEqual({ root: 'Apps/Back up' });
    expect(definition.fromUrl?.(new URL('dropbox:///Apps/x'))).toEqual({ root: 'Apps/x' });
  });
});
