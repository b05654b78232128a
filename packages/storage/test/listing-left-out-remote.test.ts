// What an S3 or SFTP listing cannot list is reported (and counted by a copy), never passed over in silence, as on a
// local mount (listing-left-out-local.test.ts): S3 keys with an empty, "." or ".." segment; SFTP dangling links,
// links out of the root and FIFOs. Against a real radosgw and a real sshd.
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import { copyNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { tempDir } from './helpers.js';
import { s3Fixture } from './services/s3.js';
import { sftpEndpoint, sftpMount } from './services/sftp.js';

const fixture = await s3Fixture('left-out');
const sshd = await sftpEndpoint();
const base = realpathSync(mkdtempSync(join(tmpdir(), 'ufs-left-out-sftp-')));
afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await sshd.stop();
}, 30_000);

let storage: StorageManager;
let out: { path: string; cleanup: () => Promise<void> };
let run = 0;
let prefix = '';
beforeEach(async () => {
  prefix = `run-${++run}`;
  out = await tempDir('ufs-left-out-dest-');
  storage = new StorageManager();
  await storage.configure([
    { name: 's3', protocol: 's3', bucket: fixture.bucket, prefix, ...fixture.connection, forcePathStyle: true },
    { name: 'out', protocol: 'local', root: out.path },
    sftpMount(sshd, base, 'remote'),
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await out.cleanup();
});

async function listReported(path: string, recursive: boolean) {
  const reported: UfsError[] = [];
  const listed: string[] = [];
  const report = (e: UfsError) => reported.push(e);
  for await (const node of storage.node(path).list({ recursive, onUnreadable: report, onInvalidName: report }))
    listed.push(node.path);
  return { listed, reported: reported.map((e) => [e.context.path as string, e.code]) };
}

describe('s3 keys no path can name', () => {
  beforeEach(async () => {
    for (const key of ['clean/a//b.txt', 'clean/./c.txt', 'clean/../d.txt', 'clean/ok.txt', 'clean/sub/e.txt'])
      await fixture.raw.send(new PutObjectCommand({ Bucket: fixture.bucket, Key: `${prefix}/${key}`, Body: key }));
  });

  it('are reported by a recursive listing; the folders above them that can be named are listed', async () => {
    const { listed, reported } = await listReported('s3:clean', true);
    expect(listed).toEqual(['clean/a', 'clean/ok.txt', 'clean/sub', 'clean/sub/e.txt']);
    expect(reported).toEqual([
      ['s3:clean/../d.txt', 'INVALID_INPUT'],
      ['s3:clean/./c.txt', 'INVALID_INPUT'],
      ['s3:clean/a//b.txt', 'INVALID_INPUT'],
    ]);
  });

  it('are reported by a listing of one level (as the prefixes they make)', async () => {
    expect(await listReported('s3:clean', false)).toEqual({
      listed: ['clean/a', 'clean/ok.txt', 'clean/sub'],
      reported: [
        ['s3:clean/../', 'INVALID_INPUT'],
        ['s3:clean/./', 'INVALID_INPUT'],
      ],
    });
    expect(await listReported('s3:clean/a', false)).toEqual({
      listed: [],
      reported: [['s3:clean/a//', 'INVALID_INPUT']],
    });
  });

  it('a copy of the folder counts each as a failure', async () => {
    const summary = await copyNode(storage.node('s3:clean'), storage.node('out:c'));
    expect(summary.files).toBe(2);
    expect(summary.errors.map((e) => e.error.code)).toEqual(['INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT']);
  });
});

describe('s3 keys not in Unicode NFC', () => {
  beforeEach(async () => {
    // The same name in both forms (macOS tools write the decomposed one), and a decomposed name alone.
    for (const key of ['uni/caf\u00e9.txt', 'uni/cafe\u0301.txt', 'lone/cafe\u0301.txt'])
      await fixture.raw.send(new PutObjectCommand({ Bucket: fixture.bucket, Key: `${prefix}/${key}`, Body: key }));
  });

  it('are reported, never listed under the path of their NFC twin (one path, one entry)', async () => {
    expect(await listReported('s3:uni', true)).toEqual({
      listed: ['uni/caf\u00e9.txt'],
      reported: [['s3:uni/caf\u00e9.txt', 'INVALID_INPUT']],
    });
    expect(await listReported('s3:lone', false)).toEqual({
      listed: [],
      reported: [['s3:lone/caf\u00e9.txt', 'INVALID_INPUT']],
    });
  });

  it('a copy copies the NFC object and counts the other as a failure', async () => {
    const summary = await copyNode(storage.node('s3:uni'), storage.node('out:u'));
    expect(summary.files).toBe(1);
    expect(summary.errors.map((e) => e.error.message)).toEqual([
      expect.stringContaining('"uni/cafe\\u0301.txt": it is not in Unicode NFC'),
    ]);
  });
});

describe('sftp entries that cannot be listed', () => {
  beforeEach(() => {
    rmSync(join(base, 't'), { recursive: true, force: true });
    mkdirSync(join(base, 't'));
    writeFileSync(join(base, 't', 'ok.txt'), 'ok');
    symlinkSync('nowhere', join(base, 't', 'dangling'));
    symlinkSync('/etc/passwd', join(base, 't', 'passwd'));
    execFileSync('mkfifo', [join(base, 't', 'pipe')]);
  });

  it('are reported with why, and a copy counts each as a failure', async () => {
    expect(await listReported('remote:t', true)).toEqual({
      listed: ['t/ok.txt'],
      reported: [
        ['remote:t/dangling', 'NOT_FOUND'],
        ['remote:t/passwd', 'PERMISSION_DENIED'],
        ['remote:t/pipe', 'UNSUPPORTED'],
      ],
    });
    const summary = await copyNode(storage.node('remote:t'), storage.node('out:t'));
    expect(summary.files).toBe(1);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([
      ['remote:t/dangling', 'NOT_FOUND'],
      ['remote:t/passwd', 'PERMISSION_DENIED'],
      ['remote:t/pipe', 'UNSUPPORTED'],
    ]);
  });

  it('a write to a dangling link or a link out of the root is refused and the link kept (as on a local mount)', async () => {
    for (const name of ['dangling', 'passwd']) {
      await expect(storage.node(`remote:t/${name}`).writeText('OVERWRITE')).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
      });
      expect(lstatSync(join(base, 't', name)).isSymbolicLink()).toBe(true);
    }
    expect(() => lstatSync(join(base, 't', 'nowhere'))).toThrow();
    expect(readFileSync('/etc/passwd', 'utf8')).not.toContain('OVERWRITE');
  });

  it('a dangling link or a link out of the root is there for stat (the link itself) and delete removes only the link', async () => {
    for (const name of ['dangling', 'passwd']) {
      const node = storage.node(`remote:t/${name}`);
      expect(await node.exists()).toBe(true);
      expect(await node.stat()).toMatchObject({ isFile: false, isDir: false, size: 0 });
      await expect(node.readText()).rejects.toMatchObject({
        code: name === 'passwd' ? 'PERMISSION_DENIED' : 'NOT_FOUND',
      });
      await node.delete();
      expect(await node.exists()).toBe(false);
      expect(() => lstatSync(join(base, 't', name))).toThrow();
    }
    expect(readFileSync('/etc/passwd', 'utf8')).toContain('root');
    const summary = await copyNode(storage.node('remote:t/pipe'), storage.node('out:p')).catch((e: UfsError) => e);
    expect('errors' in summary ? summary.errors.map((e) => e.error.code) : [summary.code]).toEqual(['UNSUPPORTED']);
  });
});
