// The built API refuses a store that is not its content's own (a typo in UFS_DATA_DIR beside the real
// UFS_CONTENT_URL: a new, empty store whose gc would delete every object), and takes the content with
// UFS_ADOPT_CONTENT=true; its data folder keeps the rollback guard and a private store file. Real processes.
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MAIN, runEntry, startApi } from './helpers/run-api.js';

describe('UFS_DATA_DIR and its content', () => {
  let dir: string;
  const env = (extra: Record<string, string>) => ({
    UFS_HOST: '127.0.0.1',
    UFS_PORT: '0',
    UFS_LOG_LEVEL: 'error',
    ...extra,
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-api-binding-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('another store on the content is refused (78) until UFS_ADOPT_CONTENT=true', async () => {
    const real = join(dir, 'real');
    const content = join(real, 'content');
    const first = await startApi(env({ UFS_DATA_DIR: real }));
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const { stores } = JSON.parse(await readFile(join(content, '_ufs-store.json'), 'utf8')) as { stores: string[] };
    expect(statSync(join(real, 'metadata.sqlite')).isDirectory()).toBe(true); // the rollback guard
    expect(statSync(join(real, 'ufs.db')).mode & 0o777).toBe(0o600);
    expect(statSync(real).mode & 0o777).toBe(0o700);

    const typo = { UFS_DATA_DIR: join(dir, 'typo'), UFS_CONTENT_URL: pathToFileURL(content).href };
    const refused = await runEntry(MAIN, env(typo));
    expect(refused.code).toBe(78);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\[ufs\\] invalid API configuration: UFS_CONTENT_URL "${pathToFileURL(content).href}" belongs to another ufs store \\(store ${stores[0]}; this store is [0-9a-f-]{36}\\): .* start once with UFS_ADOPT_CONTENT=true$`,
      ),
    );

    const adopted = await startApi(env({ ...typo, UFS_ADOPT_CONTENT: 'true' }));
    adopted.child.kill('SIGTERM');
    expect(await adopted.exited).toEqual({ code: 0, signal: null });
    const after = JSON.parse(await readFile(join(content, '_ufs-store.json'), 'utf8')) as { stores: string[] };
    expect(after.stores).not.toEqual(stores);
  });
});
