import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupCommit } from '../src/sqlite/group-commit.js';

let dir: string;
let db: Database.Database;
let group: GroupCommit;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ufs-group-'));
  db = new Database(join(dir, 'group.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
});
afterAll(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  db.exec('DELETE FROM t');
  group = new GroupCommit(db);
});

const insert =
  (...keys: string[]) =>
  () => {
    for (const k of keys) db.prepare('INSERT INTO t (k) VALUES (?)').run(k);
    return keys.length;
  };
const keys = () => (db.prepare('SELECT k FROM t ORDER BY k').all() as { k: string }[]).map((r) => r.k);

describe('GroupCommit (embedded store writes)', () => {
  it('runs the writes of one turn in order and gives each its own result', async () => {
    const results = await Promise.all([group.run(insert('a')), group.run(insert('b', 'c')), group.run(() => 'read')]);
    expect(results).toEqual([1, 2, 'read']);
    expect(keys()).toEqual(['a', 'b', 'c']);
  });

  it('rolls a failing write back whole, after it changed rows, and keeps the others of its turn', async () => {
    // The middle write inserts 'x' and then collides on 'a' (written by the first write of the same turn).
    const settled = await Promise.allSettled([
      group.run(insert('a')),
      group.run(insert('x', 'a')),
      group.run(insert('z')),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(keys()).toEqual(['a', 'z']);
  });

  it('rejects a lone failing write with its own error and keeps none of its rows', async () => {
    await expect(group.run(insert('p', 'q', 'p'))).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(keys()).toEqual([]);
  });

  it('isolates a write that throws without SQLite, as one that fails in it', async () => {
    const boom = () => {
      insert('m')();
      throw new Error('not a database error');
    };
    const settled = await Promise.allSettled([group.run(insert('l')), group.run(boom), group.run(insert('n'))]);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error('not a database error'));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(2);
    expect(keys()).toEqual(['l', 'n']);
  });

  it('goes on with later turns after a failure', async () => {
    await expect(group.run(insert('d', 'd'))).rejects.toBeDefined();
    await expect(group.run(insert('d'))).resolves.toBe(1);
    expect(keys()).toEqual(['d']);
    expect(db.inTransaction).toBe(false);
  });
});
