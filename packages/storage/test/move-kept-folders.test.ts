// A move that keeps empty source folders (to S3, which holds no empty folders; or a filtered move) still reports a
// source folder it cannot remove because something else is left in it — here an entry no listing shows (a temporary
// file of an interrupted write) — as a move without those empty folders does. Only kept empty folders: no failure.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import definition from '../src/backends/s3/index.js';
import { moveNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { tempDir } from './helpers.js';
import { createBucket, rawClient, removeBucket, s3Endpoint } from './services/s3.js';

const s3 = await s3Endpoint();
const raw = rawClient(s3);
const bucket = `ufs-kept-${randomBytes(3).toString('hex')}`;
await createBucket(raw, bucket);
afterAll(async () => {
  try {
    await removeBucket(raw, bucket);
  } finally {
    raw.destroy();
    await s3.stop();
  }
}, 60_000);

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
let run = 0;

beforeEach(async () => {
  dir = await tempDir('ufs-move-kept-');
  storage = new StorageManager();
  await storage.configure([{ name: 'local', protocol: 'local', root: join(dir.path, 'local') }]);
  const options = definition.options.parse({
    bucket,
    prefix: `run-${++run}`,
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  });
  await storage.mountBackend('s3', await definition.create(options, { mountName: 's3', env: {} }));
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** Not in any listing: ufs leaves its own temporary files out. */
const LEFTOVER = '.ufs-0123456789abcdef.tmp';

/** Files (`a/b.txt`) and empty folders (`a/empty/`) below local:src. */
async function seed(layout: string[]): Promise<string> {
  const root = join(dir.path, 'local', 'src');
  for (const entry of layout) {
    await mkdir(join(root, entry, entry.endsWith('/') ? '' : '..'), { recursive: true });
    if (!entry.endsWith('/')) await writeFile(join(root, entry), entry);
  }
  return root;
}

const left = async (root: string) => (await readdir(root, { recursive: true })).sort();

describe.each([
  ['to s3, the whole tree', 's3:moved', {}],
  ['to local, filtered', 'local:moved', { exclude: '*.skip' }],
])('a move %s', (_, to, options) => {
  it('reports the folder holding an unlisted entry next to the empty folders it keeps', async () => {
    for (const [layout, folder] of [
      [['r', 'emptyd/'], 'src'],
      [['r'], 'src'],
      [['r', 'd/x', 'd/e/f/'], 'src/d'],
      [['r', 'd/x', 'd/e/f/', 'd/e/f/g/'], 'src/d/e/f'],
    ] as const) {
      await seed([...layout]);
      await writeFile(join(dir.path, 'local', folder, LEFTOVER), 'partial');
      const summary = await moveNode(storage.node('local:src'), storage.node(to), options);
      expect({ layout, errors: summary.errors.map((e) => [e.path, e.error.code, e.error.message]) }).toEqual({
        layout,
        errors: [
          [`local:${folder === 'src/d/e/f' ? 'src/d' : folder}`, 'INVALID_INPUT', expect.stringMatching(/not empty/)],
        ],
      });
      // With empty folders there, the entry is named (without, the delete of the folder alone refuses).
      if (layout.length > 1)
        expect(summary.errors[0]!.error.message).toContain(`"${folder}/${LEFTOVER}" was not moved`);
      await storage.node('local:src').delete({ recursive: true });
    }
  });

  it('only kept empty folders (and what was left out on purpose): no failure', async () => {
    const root = await seed(['r', 'emptyd/', 'd/x', 'd/e/f/', 'k/y.skip', 'k/z']);
    const summary = await moveNode(storage.node('local:src'), storage.node(to), options);
    expect(summary.errors).toEqual([]);
    const kept = ['d', 'd/e', 'd/e/f', 'emptyd'];
    expect(await left(root)).toEqual('exclude' in options ? [...kept, 'k', 'k/y.skip'].sort() : kept);
  });
});
