// Replacing a file on SFTP servers without posix-rename@openssh.com (plain rename cannot overwrite), against the real
// OpenSSH sshd: the session is the real one with the extension marked absent, and faults are injected by wrapping
// its SFTP channel. Whatever fails, the previous content or the new one is at the key, never neither.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { expectUfsError } from '@org/storage-testing';
import type { Session, SftpConnection, SFTPWrapper } from '../../src/backends/sftp/connection.js';
import { SftpBackend } from '../../src/backends/sftp/index.js';
import { TEMP_PREFIX } from '../../src/backends/sftp/paths.js';
import { sftpConnectionAt } from '../services/sftp.js';

const { connection, base, close } = await sftpConnectionAt('ufs-sftp-replace-');
afterAll(close, 30_000);

type Rename = (from: string, to: string, cb: (err?: Error | null) => void) => void;

/**
 * An sftp backend on the real session, as a server without posix-rename would give it. `failRename(from, to, count)`
 * may return true to make that rename fail as a server does (SSH_FX_FAILURE); count: the renames asked so far.
 */
async function withoutPosixRename(failRename: (from: string, to: string, count: number) => boolean = () => false) {
  const real = await connection.session();
  let renames = 0;
  const rename: Rename = (from, to, cb) => {
    if (failRename(from, to, ++renames)) return cb(Object.assign(new Error('Failure (injected)'), { code: 4 }));
    real.sftp.rename(from, to, cb);
  };
  const sftp = new Proxy(real.sftp, {
    get: (target, p) => {
      if (p === 'rename') return rename;
      const value: unknown = Reflect.get(target, p, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as SFTPWrapper;
  const session: Session = { sftp, root: real.root, posixRename: false, fsync: real.fsync, alive: true };
  const sessions = { session: () => Promise.resolve(session) } as unknown as SftpConnection;
  return new SftpBackend(sessions, { mountName: 'replace', fsync: false });
}

let n = 0;
let folder: string;
beforeEach(() => {
  folder = `case-${++n}`;
  mkdirSync(join(base, folder));
  writeFileSync(join(base, folder, 'a.txt'), 'old content');
});
const disk = (name: string) => readFileSync(join(base, folder, name), 'utf8');
const leftovers = () => readdirSync(join(base, folder)).filter((name) => name.startsWith(TEMP_PREFIX));
const write = (backend: SftpBackend, text: string) =>
  backend.write(`${folder}/a.txt`, Readable.from([Buffer.from(text)]));
const isTemp = (path: string) => path.includes(`/${TEMP_PREFIX}`) && !path.endsWith('.old');
const target = () => `${base}/${folder}/a.txt`;

describe('sftp without posix-rename', () => {
  it('a write over an existing file replaces it and leaves nothing behind', async () => {
    await write(await withoutPosixRename(), 'new content');
    expect(disk('a.txt')).toBe('new content');
    expect(leftovers()).toEqual([]);
  });

  it('when the new file cannot be renamed into place, the old one is put back', async () => {
    // The first rename onto a.txt is the real server refusing (the target exists); the next one fails by injection.
    const backend = await withoutPosixRename((from, to, count) => count > 1 && isTemp(from) && to === target());
    await expectUfsError(write(backend, 'new content'), 'UNEXPECTED');
    expect(disk('a.txt')).toBe('old content');
    expect(leftovers()).toEqual([]);
  });

  it('when even the old file cannot be put back, the error says where it is kept', async () => {
    const backend = await withoutPosixRename(
      (from, to, count) => count > 1 && to === target() && (isTemp(from) || from.endsWith('.old')),
    );
    const error = await expectUfsError(write(backend, 'new content'), 'UNEXPECTED');
    const [backup] = leftovers();
    expect(backup).toMatch(/\.old$/);
    expect(error.message).toContain(`is kept as "${base}/${folder}/${backup}"`);
    expect(disk(backup!)).toBe('old content');
  });

  it('a rename over an existing file keeps both files when the move fails, and replaces it otherwise', async () => {
    writeFileSync(join(base, folder, 'b.txt'), 'moving');
    const failing = await withoutPosixRename((from, to, count) => count > 1 && from.endsWith('/b.txt'));
    const move = (backend: SftpBackend) => backend.rename(`${folder}/b.txt`, `${folder}/a.txt`);
    await expectUfsError(move(failing), 'UNEXPECTED');
    expect([disk('a.txt'), disk('b.txt'), leftovers()]).toEqual(['old content', 'moving', []]);
    await move(await withoutPosixRename());
    expect(disk('a.txt')).toBe('moving');
    expect(readdirSync(join(base, folder))).toEqual(['a.txt']);
  });
});
