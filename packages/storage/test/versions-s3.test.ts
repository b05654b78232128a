// compactVersions() on a real versioned bucket (Ceph radosgw): `keep` counts real versions, never delete markers, so a
// deleted file keeps what it can be restored from. Version ids that are no ids are refused before S3 sees them.
import { afterAll, describe, expect, it } from '@jest/globals';
import definition from '../src/backends/s3/index.js';
import { StorageManager, type StorageNode } from '../src/index.js';
import { rejectsWith, throwsWith } from './helpers.js';
import { s3Fixture } from './services/s3.js';

const { versionedBucket, connection } = await s3Fixture('versions');
const storage = new StorageManager();
await storage.mountBackend(
  'v',
  await definition.create(definition.options.parse({ ...connection, bucket: versionedBucket, versioning: true }), {
    mountName: 'v',
    env: {},
  }),
);
afterAll(() => storage.dispose());

let n = 0;
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Writes each text in turn (a little apart, so the versions' times differ); returns their version ids. */
async function history(file: StorageNode, texts: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const text of texts) {
    ids.push((await file.writeText(text)).versionId!);
    await tick();
  }
  return ids;
}

const shape = async (file: StorageNode) =>
  (await file.versions()).map((v) => (v.isDeleteMarker ? 'marker' : v.versionId));

describe('compactVersions on S3 (radosgw, versioned bucket)', () => {
  it('a deleted file keeps its newest real version (keep: 1) and can be restored from it', async () => {
    const file = storage.node(`v:compact/${++n}/doc.txt`);
    const [v1, v2] = await history(file, ['one', 'two']);
    await file.delete();
    expect(await shape(file)).toEqual(['marker', v2, v1]);
    expect(await file.compactVersions({ keep: 1 })).toBe(1);
    expect(await shape(file)).toEqual(['marker', v2]);
    expect(await file.exists()).toBe(false);
    expect(await file.atVersion(v2!).readText()).toBe('two');
    await file.deleteVersion((await file.versions())[0]!.versionId);
    expect(await file.readText()).toBe('two');
  });

  it('keep counts real versions only; markers between kept versions stay, older ones go', async () => {
    const file = storage.node(`v:compact/${++n}/doc.txt`);
    const [v1, v2] = await history(file, ['one', 'two']);
    await file.delete();
    await tick();
    const [v3] = await history(file, ['three']);
    await file.delete();
    expect(await shape(file)).toEqual(['marker', v3, 'marker', v2, v1]);
    expect(await file.compactVersions({ keep: 5 })).toBe(0);
    expect(await file.compactVersions({ keep: 2 })).toBe(1);
    expect(await shape(file)).toEqual(['marker', v3, 'marker', v2]);
    expect(await file.compactVersions()).toBe(2);
    expect(await shape(file)).toEqual(['marker', v3]);
    expect(await file.atVersion(v3!).readText()).toBe('three');
  });

  it('a live file keeps its current version and the newest keep - 1 before it', async () => {
    const file = storage.node(`v:compact/${++n}/doc.txt`);
    const [, , v3, v4] = await history(file, ['one', 'two', 'three', 'four']);
    expect(await file.compactVersions({ keep: 2 })).toBe(2);
    expect(await shape(file)).toEqual([v4, v3]);
    expect(await file.readText()).toBe('four');
  });
});

describe('version ids on S3 (radosgw, versioned bucket)', () => {
  it("an empty version id is INVALID_INPUT: deleteVersion('') does not delete the file, atVersion('') reads nothing", async () => {
    const file = storage.node(`v:empty-id/${++n}/doc.txt`);
    const ids = await history(file, ['v1', 'v2']);
    const err = await rejectsWith(file.deleteVersion(''), 'INVALID_INPUT');
    expect(err.message).toMatch(/deleteVersion ".*doc\.txt": the version id must be a non-empty string/);
    expect(await file.readText()).toBe('v2');
    expect(await shape(file)).toEqual([ids[1], ids[0]]);
    throwsWith(() => file.atVersion(''), 'INVALID_INPUT');
    throwsWith(() => file.atVersion(undefined as never), 'INVALID_INPUT');
    await rejectsWith(file.deleteVersion(42 as never), 'INVALID_INPUT');
    expect(await shape(file)).toEqual([ids[1], ids[0]]);
  });
});
