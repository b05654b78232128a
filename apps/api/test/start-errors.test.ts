// A start that fails says so in one line on stderr naming the variable to change, with the status of its kind:
// 78 for configuration, 69 for a service that does not answer, 70 for a port already in use.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@org/test-services';
import { START_PROBE_TIMEOUT_MS } from '../src/start-checks.js';
import { BOOTSTRAP_KEY, MAIN, runEntry, startApi, type Ended } from './helpers/run-api.js';

/** The one line of a failed start. */
function oneLine(ended: Ended): string {
  const lines = ended.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('start failures of the built app', () => {
  let dir: string;
  let file: string;
  const env = (extra: Record<string, string>) => ({
    UFS_HOST: '127.0.0.1',
    UFS_PORT: '0',
    UFS_DATA_DIR: join(dir, 'data'),
    UFS_LOG_LEVEL: 'error',
    ...extra,
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-api-start-'));
    file = join(dir, 'a-file');
    await writeFile(file, 'not a folder\n');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('a port already in use: one line naming the address and UFS_PORT (no Nest line), 70', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = holder.address() as AddressInfo;
      const ended = await runEntry(MAIN, env({ UFS_PORT: String(port), UFS_LOG_LEVEL: 'info' }));
      expect(ended.code).toBe(70);
      expect(oneLine(ended)).toBe(
        `[ufs] start the API: cannot listen on 127.0.0.1:${port}: the address is already in use ` +
          '(EADDRINUSE: another server listens there; choose another UFS_PORT)',
      );
      expect(ended.stdout).not.toMatch(/ERROR/);
    } finally {
      holder.close();
    }
  });

  it('UFS_HOST: not an address of this machine, or a name that does not resolve: 78 naming it', async () => {
    const missing = await runEntry(MAIN, env({ UFS_HOST: '192.0.2.1' }));
    expect([missing.code, oneLine(missing)]).toEqual([
      78,
      '[ufs] invalid API configuration: UFS_HOST "192.0.2.1" is not an address of this machine',
    ]);
    const unknown = await runEntry(MAIN, env({ UFS_HOST: 'no-such-host.invalid' }));
    expect([unknown.code, oneLine(unknown)]).toEqual([
      78,
      '[ufs] invalid API configuration: UFS_HOST "no-such-host.invalid" is not a name this machine resolves',
    ]);
    for (const host of ['999.1.1.1', 'not_a_host']) {
      const bad = await runEntry(MAIN, env({ UFS_HOST: host }));
      expect([bad.code, oneLine(bad)]).toEqual([
        78,
        `[ufs] invalid API configuration: UFS_HOST: must be an IP address or a host name, like 0.0.0.0, :: or ` +
          `localhost (got "${host}")`,
      ]);
    }
  });

  it('UFS_DATA_DIR that is a file, or cannot be created: 78 naming it (main and bootstrap-key)', async () => {
    for (const script of [MAIN, BOOTSTRAP_KEY]) {
      const aFile = await runEntry(script, env({ UFS_DATA_DIR: file }));
      expect([aFile.code, oneLine(aFile)]).toEqual([
        78,
        `[ufs] invalid API configuration: UFS_DATA_DIR "${file}" is a file, not a folder`,
      ]);
      const below = await runEntry(script, env({ UFS_DATA_DIR: join(file, 'data') }));
      expect([below.code, oneLine(below)]).toEqual([
        78,
        `[ufs] invalid API configuration: UFS_DATA_DIR "${join(file, 'data')}" is below a file, not a folder`,
      ]);
      const sys = await runEntry(script, env({ UFS_DATA_DIR: '/sys/ufs-nope' }));
      expect(sys.code).toBe(78);
      expect(oneLine(sys)).toMatch(
        /^\[ufs\] invalid API configuration: UFS_DATA_DIR "\/sys\/ufs-nope" cannot be created: (permission denied|operation not permitted)$/,
      );
    }
  });

  it('UFS_CONTENT_URL: checked with the other variables (one message naming each), protocol included', async () => {
    const both = await runEntry(MAIN, env({ UFS_PORT: 'abc', UFS_CONTENT_URL: 'bogus://x' }));
    expect(both.code).toBe(78);
    expect(oneLine(both)).toMatch(
      /^\[ufs\] invalid API configuration: UFS_PORT: .*; UFS_CONTENT_URL: unknown protocol "bogus"; known protocols: .*\blocal\b.*\bs3\b/,
    );
    const syntax = await runEntry(MAIN, env({ UFS_CONTENT_URL: '/srv/not-a-url' }));
    expect([syntax.code, oneLine(syntax)]).toEqual([
      78,
      '[ufs] invalid API configuration: UFS_CONTENT_URL: must be a storage URL, like file:///srv/ufs or s3://bucket/prefix',
    ]);
  });

  it('a content mount that cannot be used fails the start naming UFS_CONTENT_URL (78), before any upload', async () => {
    const aFile = await runEntry(MAIN, env({ UFS_CONTENT_URL: pathToFileURL(file).href }));
    expect([aFile.code, oneLine(aFile)]).toEqual([
      78,
      `[ufs] invalid API configuration: UFS_CONTENT_URL "${pathToFileURL(file).href}" is a file, not a folder`,
    ]);
    const sys = await runEntry(MAIN, env({ UFS_CONTENT_URL: 'file:///sys/ufs-nope' }));
    expect(sys.code).toBe(78);
    expect(oneLine(sys)).toMatch(
      /^\[ufs\] invalid API configuration: UFS_CONTENT_URL "file:\/\/\/sys\/ufs-nope" cannot be created: /,
    );
    // Folders that exist but take no new object (immutable: root too is refused): the folder itself, or the
    // temporary folder where the test write goes.
    const locked = join(dir, 'locked');
    const lockedTmp = join(dir, 'locked-tmp');
    await mkdir(locked);
    await mkdir(join(lockedTmp, '_tmp'), { recursive: true });
    execFileSync('chattr', ['+i', locked, join(lockedTmp, '_tmp')]);
    try {
      const refused = await runEntry(MAIN, env({ UFS_CONTENT_URL: pathToFileURL(locked).href }));
      expect([refused.code, oneLine(refused)]).toEqual([
        78,
        `[ufs] invalid API configuration: UFS_CONTENT_URL "${pathToFileURL(locked).href}" is not writable: permission denied`,
      ]);
      const probe = await runEntry(MAIN, env({ UFS_CONTENT_URL: pathToFileURL(lockedTmp).href }));
      expect(probe.code).toBe(78);
      expect(oneLine(probe)).toMatch(
        new RegExp(
          `^\\[ufs\\] invalid API configuration: UFS_CONTENT_URL "${pathToFileURL(lockedTmp).href}" cannot be written: .*\\(EPERM\\)$`,
        ),
      );
    } finally {
      execFileSync('chattr', ['-i', locked, join(lockedTmp, '_tmp')]);
    }
  });

  it('a content service that does not answer: 69 naming UFS_CONTENT_URL, never its credentials', async () => {
    const port = await freePort();
    const url = `s3://KEYID:s3cret@bucket/ufs?endpoint=http://127.0.0.1:${port}&region=us-east-1&forcePathStyle=true`;
    const ended = await runEntry(MAIN, env({ UFS_CONTENT_URL: url }));
    expect(ended.code).toBe(69);
    expect(oneLine(ended)).toMatch(
      /^\[ufs\] the content storage of UFS_CONTENT_URL "s3:\/\/.*bucket\/ufs.*" does not answer: /,
    );
    expect(ended.stderr).not.toContain('s3cret');
  });

  it.each([
    ['opening the mount', ''], // an S3 mount asks the bucket whether it is versioned
    ['a test write', '&versioning=false'],
  ])(
    'a content service that accepts connections but never answers (%s): 69 naming UFS_CONTENT_URL, in bounded time',
    async (what, extra) => {
      const held: Socket[] = [];
      const silent = createServer((socket) => void held.push(socket.on('error', () => undefined)));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = silent.address() as AddressInfo;
        const url = `s3://KEYID:s3cret@bucket/ufs?endpoint=http://127.0.0.1:${port}&region=us-east-1&forcePathStyle=true${extra}`;
        const ended = await runEntry(MAIN, env({ UFS_CONTENT_URL: url }), START_PROBE_TIMEOUT_MS + 15_000);
        expect(held.length).toBeGreaterThan(0); // it did reach the silent endpoint
        expect(ended.code).toBe(69);
        expect(oneLine(ended)).toMatch(
          new RegExp(
            '^\\[ufs\\] the content storage of UFS_CONTENT_URL "s3://.*bucket/ufs.*" does not answer: ' +
              `${what} got no answer within ${START_PROBE_TIMEOUT_MS / 1000} s$`,
          ),
        );
        expect(ended.stderr).not.toContain('s3cret');
      } finally {
        for (const socket of held) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    },
    60_000,
  );

  it('a usable content folder is left as it was: the test write under _tmp/ is deleted', async () => {
    const content = join(dir, 'content-ok');
    const api = await startApi(env({ UFS_CONTENT_URL: pathToFileURL(content).href }));
    expect(await readdir(join(content, '_tmp'))).toEqual([]);
    api.child.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });
  });
});
