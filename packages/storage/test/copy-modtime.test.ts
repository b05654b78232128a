// Copies keep modification times (as rclone does) and `skip: 'modtime'` uses them: local files copied to memory,
// another local mount, a real Ceph radosgw (S3) and a real OpenSSH sshd (SFTP), streamed and server-side.
import { mkdir, stat as fsStat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import s3Definition from '../src/backends/s3/index.js';
import sftpDefinition from '../src/backends/sftp/index.js';
import { interceptBackend, MemoryBackend, StorageManager, type CopySkipEvent } from '../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';
import { s3Fixture } from './services/s3.js';
import { sftpEndpoint } from './services/sftp.js';

const fixture = await s3Fixture('modtime');
const sshd = await sftpEndpoint();
let dir: { path: string; cleanup: () => Promise<void> };
const storage = new StorageManager();
const opened: StorageBackend[] = [];

/** Times with milliseconds: SFTP keeps whole seconds of them, the others all of it. */
const TIMES: Record<string, Date> = {
  'a.txt': new Date('2020-01-02T03:04:05.678Z'),
  'sub/b.txt': new Date('2019-06-07T08:09:10.250Z'),
  'sub/c.bin': new Date('2018-11-12T13:14:15.999Z'),
};
const CONTENT: Record<string, string> = { 'a.txt': 'hello', 'sub/b.txt': 'world!', 'sub/c.bin': 'xyz' };

/** Puts the source tree in place with its modification times. */
async function writeSource(root: string): Promise<void> {
  for (const [name, content] of Object.entries(CONTENT)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), content);
    await utimes(join(root, name), TIMES[name]!, TIMES[name]!);
  }
}

beforeAll(async () => {
  dir = await tempDir('ufs-copy-modtime-');
  await mkdir(join(dir.path, 'sftp'));
  await writeSource(join(dir.path, 'src'));
  await storage.configure([
    { name: 'src', protocol: 'local', root: join(dir.path, 'src') },
    { name: 'disk', protocol: 'local', root: join(dir.path, 'disk') },
    { name: 'mem', protocol: 'memory' },
  ]);
  const s3 = await s3Definition.create(
    s3Definition.options.parse({ ...fixture.connection, bucket: fixture.bucket, prefix: 'modtime' }),
    { mountName: 's3', env: {} },
  );
  const sftp = await sftpDefinition.create(
    sftpDefinition.options.parse({
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKeyPath: sshd.privateKeyPath,
      hostFingerprint: sshd.hostFingerprint,
      root: join(dir.path, 'sftp'),
    }),
    { mountName: 'sftp', env: {} },
  );
  opened.push(s3, sftp);
  await storage.mountBackend('s3', s3);
  await storage.mountBackend('sftp', sftp);
  // A real memory backend that says it cannot keep modification times (as WebDAV cannot).
  const forgetful = new MemoryBackend({ mountName: 'forgetful' });
  await storage.mountBackend(
    'forgetful',
    interceptBackend(forgetful, (_call, next) => next(), {
      capabilities: { ...forgetful.capabilities, setModified: false },
    }),
  );
});
afterAll(async () => {
  try {
    await storage.dispose();
    for (const backend of opened) await backend.dispose?.();
  } finally {
    await dir.cleanup();
    await sshd.stop();
  }
}, 60_000);

/** The time a destination keeps of `time`: whole seconds on SFTP, all of it elsewhere. */
function kept(mount: string, time: Date): string {
  const ms = mount === 'sftp' ? Math.floor(time.getTime() / 1000) * 1000 : time.getTime();
  return new Date(ms).toISOString();
}

async function mtimeOf(path: string): Promise<string | undefined> {
  return (await storage.node(path).stat()).mtime?.toISOString();
}

describe.each(['mem', 'disk', 's3', 'sftp'])('copies from a local folder to %s', (mount) => {
  const dest = `${mount}:tree`;

  it('keep the source modification times', async () => {
    const summary = await storage.node('src:').copyTo(storage.node(dest));
    expect(summary).toMatchObject({ files: 3, errors: [] });
    for (const [name, time] of Object.entries(TIMES)) expect(await mtimeOf(`${dest}/${name}`)).toBe(kept(mount, time));
  });

  it("skip unchanged files with skip: 'modtime', and copy one touched with a new time and the same size", async () => {
    const skips: CopySkipEvent[] = [];
    const again = await storage.node('src:').copyTo(storage.node(dest), {
      skip: 'modtime',
      onSkip: (event) => skips.push(event),
    });
    expect(again).toMatchObject({ files: 0, skipped: 3, errors: [] });
    expect(skips.map((s) => s.reason)).toEqual(['modtime', 'modtime', 'modtime']);

    // Same size, other bytes, a new time: only a modification time can tell (skip: 'size' would leave it).
    const touched = join(dir.path, 'src', 'sub/b.txt');
    const before = await fsStat(touched);
    const now = new Date('2024-02-03T04:05:06.789Z');
    await writeFile(touched, 'WORLD!');
    await utimes(touched, now, now);
    try {
      const copied: string[] = [];
      const third = await storage.node('src:').copyTo(storage.node(dest), {
        skip: 'modtime',
        onFile: (event) => copied.push(event.src.fullpath),
      });
      expect(third).toMatchObject({ files: 1, skipped: 2, errors: [] });
      expect(copied).toEqual(['src:sub/b.txt']);
      expect(await storage.node(`${dest}/sub/b.txt`).readText()).toBe('WORLD!');
      expect(await mtimeOf(`${dest}/sub/b.txt`)).toBe(kept(mount, now));
    } finally {
      await writeFile(touched, CONTENT['sub/b.txt']!);
      await utimes(touched, before.atime, before.mtime);
    }
  });
});

describe('modification times of copies', () => {
  it('a server-side copy within a local mount keeps the source time', async () => {
    const methods: string[] = [];
    await storage
      .node('src:a.txt')
      .copyTo(storage.node('src:copies/a.txt'), { onFile: (event) => methods.push(event.method) });
    expect(methods).toEqual(['copy']);
    expect(await mtimeOf('src:copies/a.txt')).toBe(TIMES['a.txt']!.toISOString());
  });

  it('a server-side copy within a memory mount keeps the source time', async () => {
    const time = new Date('2017-01-01T00:00:00.123Z');
    await storage.node('mem:own/x.txt').writeText('x', { mtime: time });
    const summary = await storage.node('mem:own/x.txt').copyTo(storage.node('mem:own/y.txt'));
    expect(summary.files).toBe(1);
    expect(await mtimeOf('mem:own/y.txt')).toBe(time.toISOString());
  });

  it('a server-side copy within an S3 mount keeps the source time, set by ufs or not', async () => {
    await storage.node('s3:own/plain.txt').writeText('plain');
    const uploaded = await mtimeOf('s3:own/plain.txt');
    const methods: string[] = [];
    const onFile = (event: { method: string }) => methods.push(event.method);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // LastModified has whole seconds
    await storage.node('s3:own/plain.txt').copyTo(storage.node('s3:own/plain-copy.txt'), { onFile });
    expect(await mtimeOf('s3:own/plain-copy.txt')).toBe(uploaded);
    const time = new Date('2016-05-05T05:05:05.500Z');
    await storage.node('s3:own/dated.txt').writeText('dated', { mtime: time });
    await storage.node('s3:own/dated.txt').copyTo(storage.node('s3:own/dated-copy.txt'), { onFile });
    expect(await mtimeOf('s3:own/dated-copy.txt')).toBe(time.toISOString());
    expect(methods).toEqual(['copy', 'copy']);
  });

  it('a move keeps the source time (streamed to SFTP, renamed within memory)', async () => {
    const time = new Date('2015-09-09T09:09:09.000Z');
    await storage.node('mem:moving/m.txt').writeText('m', { mtime: time });
    await storage.node('mem:moving/m.txt').moveTo(storage.node('sftp:moved/m.txt'));
    expect(await mtimeOf('sftp:moved/m.txt')).toBe(time.toISOString());
    await storage.node('mem:moving/n.txt').writeText('n', { mtime: time });
    await storage.node('mem:moving/n.txt').moveTo(storage.node('mem:moved/n.txt'));
    expect(await mtimeOf('mem:moved/n.txt')).toBe(time.toISOString());
  });

  it('a move onto a distinct file that looks the same is written without the time, then the source is deleted', async () => {
    // (Written with it, a destination that is the source under a name nothing can compare would look unchanged, and
    // the only copy would be deleted: copy-same-storage.test.ts.)
    const time = new Date('2014-04-04T04:04:04.000Z');
    await storage.node('mem:look/x.txt').writeText('same', { mtime: time });
    await storage.node('disk:look/x.txt').writeText('SAME', { mtime: time });
    const summary = await storage.node('mem:look/x.txt').moveTo(storage.node('disk:look/x.txt'));
    expect(summary).toMatchObject({ files: 1, errors: [] });
    expect(await storage.node('disk:look/x.txt').readText()).toBe('same');
    expect(await storage.node('mem:look/x.txt').exists()).toBe(false);
  });

  it('preserveModified: false gives the copy the time it was written', async () => {
    const started = Date.now();
    await storage.node('src:a.txt').copyTo(storage.node('mem:fresh/a.txt'), { preserveModified: false });
    await storage.node('src:a.txt').copyTo(storage.node('src:fresh/a.txt'), { preserveModified: false });
    for (const path of ['mem:fresh/a.txt', 'src:fresh/a.txt'])
      expect((await storage.node(path).stat()).mtime!.getTime()).toBeGreaterThanOrEqual(started - 1000);
  });

  it('the default window is the precision SFTP keeps: whole seconds, so a copy is not made again', async () => {
    await storage.node('src:a.txt').copyTo(storage.node('sftp:window/a.txt'));
    for (const modifyWindow of [undefined, 0]) {
      const again = await storage
        .node('src:a.txt')
        .copyTo(storage.node('sftp:window/a.txt'), { skip: 'modtime', modifyWindow });
      expect(again).toMatchObject({ files: 0, skipped: 1 });
    }
  });

  it.each(['mem', 'disk'])(
    'the default window between millisecond backends (memory/local → %s) tells apart a time moved by < 1 s',
    async (mount) => {
      const first = new Date('2023-03-03T03:03:03.100Z');
      await storage.node('mem:ms/f.txt').writeText('one', { mtime: first });
      await storage.node('disk:ms-src/f.txt').writeText('one', { mtime: first });
      const sources = ['mem:ms/f.txt', 'disk:ms-src/f.txt'];
      for (const src of sources) await storage.node(src).copyTo(storage.node(`${mount}:ms-dest/f.txt`));
      // Rewritten with as many bytes, 300 ms later: copied again, not left stale.
      const later = new Date(first.getTime() + 300);
      for (const src of sources) {
        await storage.node(src).writeText('two', { mtime: later });
        const again = await storage.node(src).copyTo(storage.node(`${mount}:ms-dest/f.txt`), { skip: 'modtime' });
        expect(again).toMatchObject({ files: 1, skipped: 0 });
        expect(await storage.node(`${mount}:ms-dest/f.txt`).readText()).toBe('two');
        const wide = await storage
          .node(src)
          .copyTo(storage.node(`${mount}:ms-dest/f.txt`), { skip: 'modtime', modifyWindow: 1000 });
        expect(wide).toMatchObject({ files: 0, skipped: 1 });
        await storage.node(src).writeText('one', { mtime: first });
        const wider = await storage
          .node(src)
          .copyTo(storage.node(`${mount}:ms-dest/f.txt`), { skip: 'modtime', modifyWindow: 1000 });
        expect(wider).toMatchObject({ files: 0, skipped: 1 }); // 300 ms apart: the same within 1 s
        await storage.node(src).copyTo(storage.node(`${mount}:ms-dest/f.txt`));
      }
    },
  );

  it("skip: 'modtime' to a destination that cannot keep times decides by size (as rclone)", async () => {
    await storage.node('src:sub').copyTo(storage.node('forgetful:tree'));
    expect(await mtimeOf('forgetful:tree/b.txt')).not.toBe(TIMES['sub/b.txt']!.toISOString());
    const reasons: string[] = [];
    const again = await storage
      .node('src:sub')
      .copyTo(storage.node('forgetful:tree'), { skip: 'modtime', onSkip: (event) => reasons.push(event.reason) });
    expect(again).toMatchObject({ files: 0, skipped: 2 });
    expect(reasons).toEqual(['size', 'size']);
  });

  it('refuses a bad modifyWindow, and a write of a time where it cannot be kept', async () => {
    await rejectsWith(storage.node('src:').copyTo(storage.node('mem:bad'), { modifyWindow: -1 }), 'INVALID_INPUT');
    for (const [modifyWindow, shown] of [
      [NaN, 'got NaN'],
      [Infinity, 'got Infinity'],
      [1e21, 'got 1e+21'],
      [86_400_001, 'got 86400001'],
    ] as const) {
      const refused = storage.node('src:').copyTo(storage.node('mem:bad'), { modifyWindow });
      await expect(refused).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(shown) });
    }
    const day = await storage.node('src:a.txt').copyTo(storage.node('mem:day/a.txt'), { modifyWindow: 86_400_000 });
    expect(day.files).toBe(1);
    await rejectsWith(storage.node('forgetful:t.txt').writeText('t', { mtime: new Date() }), 'UNSUPPORTED');
  });
});
