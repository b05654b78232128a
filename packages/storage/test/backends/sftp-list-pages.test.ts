// Listing a large SFTP folder page by page against the real OpenSSH sshd: SFTP reads a folder only whole, so the
// folder is read once for all its pages (counted on the real session's channel), and a cursor whose kept rest is
// gone still resumes where it left off.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from '@jest/globals';
import type { Session, SftpConnection, SFTPWrapper } from '../../src/backends/sftp/connection.js';
import { SftpBackend } from '../../src/backends/sftp/index.js';
import { sftpConnectionAt } from '../services/sftp.js';

const { connection, base, close } = await sftpConnectionAt('ufs-sftp-pages-');
afterAll(close, 30_000);

it('reads a folder once for all its pages; a repeated cursor reads it again and resumes after that cursor', async () => {
  const real = await connection.session();
  let readdirs = 0;
  const sftp = new Proxy(real.sftp, {
    get: (target, p) => {
      const value: unknown = Reflect.get(target, p, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (p === 'readdir') readdirs++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as SFTPWrapper;
  const session: Session = { ...real, sftp };
  const backend = new SftpBackend({ session: () => Promise.resolve(session) } as unknown as SftpConnection, {
    mountName: 'pages',
    fsync: false,
  });
  mkdirSync(join(base, 'many'));
  const names = Array.from({ length: 25 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
  for (const name of names) writeFileSync(join(base, 'many', name), name);
  // A folder read within SETTLED_MS of its last change is not kept (see sftp/list.ts): dated back, as if long written.
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(base, 'many'), past, past);

  const seen: string[] = [];
  const cursors: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await backend.list('many', { pageSize: 10, ...(cursor ? { cursor } : {}) });
    seen.push(...page.entries.map((e) => e.key));
    cursor = page.cursor;
    if (cursor) cursors.push(cursor);
  } while (cursor);
  expect(seen).toEqual(names.map((n) => `many/${n}`));
  expect(readdirs).toBe(1);
  const again = await backend.list('many', { pageSize: 10, cursor: cursors[1]! });
  expect(again.entries.map((e) => e.key)).toEqual(names.slice(20).map((n) => `many/${n}`));
  expect(readdirs).toBe(2);
});
