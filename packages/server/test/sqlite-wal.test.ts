import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileMetadataSchema } from '@org/core/dedup-schema';
import { SqliteStore } from '../src/index.js';
import { fileRecord, sha256Of } from './helpers/records.js';

const MiB = 1024 * 1024;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ufs-wal-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function fill(store: SqliteStore, batches: number, tag: string, rows = 1000): Promise<void> {
  for (let b = 0; b < batches; b++) {
    const metas = Array.from({ length: rows }, (_, i) =>
      fileMetadataSchema.parse(
        fileRecord({ hostname: tag, filepath: `/data/${b}/${i}.bin`, sha256: sha256Of(`${tag}-${b}-${i}`) }),
      ),
    );
    await store.upsertFiles(metas, new Date());
  }
}

async function walBytes(path: string): Promise<number> {
  return (await stat(`${path}-wal`).catch(() => ({ size: 0 }))).size;
}

describe('embedded store WAL size', () => {
  it('cuts the WAL file back to walSizeLimitBytes once it starts over after a checkpoint', async () => {
    const path = join(dir, 'limited.db');
    const store = new SqliteStore({ path, walSizeLimitBytes: MiB });
    try {
      await fill(store, 10, 'a'); // ~10,000 rows: several MiB of WAL before the checkpointer (every 1 s) runs
      const grown = await walBytes(path);
      expect(grown).toBeGreaterThan(2 * MiB);
      // Once a checkpoint has copied everything back, the next write starts the WAL over and cuts the file.
      let size = grown;
      for (const started = Date.now(); size > MiB && Date.now() - started < 15_000;) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await fill(store, 1, `b${Date.now()}`, 1);
        size = await walBytes(path);
      }
      expect(size).toBeLessThanOrEqual(MiB);
    } finally {
      await store.close();
    }
  });

  it('refuses a limit that is not a whole number of bytes before opening anything', () => {
    expect(() => new SqliteStore({ path: join(dir, 'bad.db'), walSizeLimitBytes: -1 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => new SqliteStore({ path: join(dir, 'bad.db'), walSizeLimitBytes: 1.5 })).toThrow(/walSizeLimitBytes/);
  });
});
