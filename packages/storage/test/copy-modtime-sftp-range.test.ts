// SFTP v3 carries modification times as unsigned 32-bit seconds (1970-01-01 to 2106-02-07T06:28:15Z). A time
// outside is not set (the file keeps the time of its writing) rather than wrapped (1969 → 2106, 2200 → 2063), and
// `skip: 'modtime'` then compares such a file by size, so it is not copied again on every run. Real OpenSSH sshd.
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import sftpDefinition from '../src/backends/sftp/index.js';
import { StorageManager } from '../src/index.js';
import { tempDir } from './helpers.js';
import { sftpEndpoint } from './services/sftp.js';

const sshd = await sftpEndpoint();
let dir: { path: string; cleanup: () => Promise<void> };
const storage = new StorageManager();
let sftp: StorageBackend;

/** Times SFTP v3 cannot carry, as the source's files have them. */
const OUTSIDE: Record<string, Date> = {
  'before-1970.txt': new Date('1969-12-31T23:59:59.000Z'),
  'in-1901.txt': new Date('1901-12-14T00:00:00.000Z'),
  'in-2200.txt': new Date('2200-01-01T00:00:00.000Z'),
  'after-2106.txt': new Date('2106-02-07T06:28:16.000Z'),
};
/** The first and last time it can carry. */
const EDGES: Record<string, Date> = {
  'first.txt': new Date('1970-01-01T00:00:00.000Z'),
  'last.txt': new Date('2106-02-07T06:28:15.000Z'),
};

beforeAll(async () => {
  dir = await tempDir('ufs-sftp-range-');
  await mkdir(join(dir.path, 'sftp'));
  await mkdir(join(dir.path, 'src'));
  for (const [name, time] of Object.entries({ ...OUTSIDE, ...EDGES })) {
    await writeFile(join(dir.path, 'src', name), name);
    await utimes(join(dir.path, 'src', name), time, time);
  }
  await storage.configure([{ name: 'src', protocol: 'local', root: join(dir.path, 'src') }]);
  sftp = await sftpDefinition.create(
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
  await storage.mountBackend('sftp', sftp);
}, 60_000);
afterAll(async () => {
  try {
    await storage.dispose();
    await sftp.dispose?.();
  } finally {
    await dir.cleanup();
    await sshd.stop();
  }
});

/** A time within a minute of now: the time of the writing, not a wrapped one. */
function expectNow(time: Date | undefined): void {
  expect(Math.abs(time!.getTime() - Date.now())).toBeLessThan(60_000);
}

describe('SFTP modification times outside 32-bit seconds', () => {
  it('a write given one does not set it: the file keeps the time of its writing', async () => {
    for (const [name, time] of Object.entries(OUTSIDE)) {
      await sftp.write(`direct/${name}`, Readable.from([Buffer.from('x')]), { size: 1, mtime: time });
      expectNow((await sftp.stat(`direct/${name}`))?.mtime);
    }
  });

  it('the first and last second it can carry are kept exactly', async () => {
    for (const [name, time] of Object.entries(EDGES)) {
      await sftp.write(`direct/${name}`, Readable.from([Buffer.from('x')]), { size: 1, mtime: time });
      expect((await sftp.stat(`direct/${name}`))?.mtime?.toISOString()).toBe(time.toISOString());
    }
  });

  it("copies keep what they can, and skip: 'modtime' decides the rest by size instead of copying again", async () => {
    const summary = await storage.node('src:').copyTo(storage.node('sftp:tree'));
    expect(summary).toMatchObject({ files: 6, errors: [] });
    for (const name of Object.keys(OUTSIDE)) expectNow((await storage.node(`sftp:tree/${name}`).stat()).mtime);
    for (const [name, time] of Object.entries(EDGES))
      expect((await storage.node(`sftp:tree/${name}`).stat()).mtime?.toISOString()).toBe(time.toISOString());

    const reasons: Record<string, string> = {};
    const again = await storage.node('src:').copyTo(storage.node('sftp:tree'), {
      skip: 'modtime',
      onSkip: (event) => (reasons[event.src.basename] = event.reason),
    });
    expect(again).toMatchObject({ files: 0, skipped: 6, errors: [] });
    expect(reasons).toEqual({
      'before-1970.txt': 'size',
      'in-1901.txt': 'size',
      'in-2200.txt': 'size',
      'after-2106.txt': 'size',
      'first.txt': 'modtime',
      'last.txt': 'modtime',
    });
  });

  it('a move does not carry a wrapped time onward', async () => {
    await storage.node('src:before-1970.txt').copyTo(storage.node('src:moving/old.txt'));
    await storage.node('src:moving/old.txt').moveTo(storage.node('sftp:moved/old.txt'));
    expectNow((await storage.node('sftp:moved/old.txt').stat()).mtime);
    await storage.node('sftp:moved/old.txt').moveTo(storage.node('src:back/old.txt'));
    expectNow((await storage.node('src:back/old.txt').stat()).mtime);
  });
});
