import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { rejectsWith, throwsWith } from './helpers.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

let storage: StorageManager;
beforeEach(async () => {
  storage = new StorageManager();
  await storage.configure([
    { name: 'v', url: 'memory://?versioning=true' },
    { name: 'plain', protocol: 'memory' },
  ]);
});
afterEach(() => storage.dispose());

describe('versions (memory with versioning)', () => {
  it('lists versions newest first and reads old ones with atVersion()', async () => {
    const file = storage.node('v:doc.txt');
    const first = await file.writeText('one');
    await tick();
    await file.writeText('two');
    await tick();
    await file.writeText('three');
    const versions = await file.versions();
    expect(versions).toHaveLength(3);
    expect(versions[0]).toMatchObject({ isLatest: true, isDeleteMarker: false, size: 5 });
    expect(versions[2]!.versionId).toBe(first.versionId);
    expect(await file.atVersion(first.versionId!).readText()).toBe('one');
    expect((await file.atVersion(first.versionId!).stat()).versionId).toBe(first.versionId);
    expect(await file.readText()).toBe('three');
    expect(file.atVersion('x').versionId).toBe('x');
    await rejectsWith(file.atVersion('no-such-version').readText(), 'NOT_FOUND');
  });

  it('asOf(date) gives the version current at that date', async () => {
    const file = storage.node('v:asof.txt');
    await file.writeText('morning');
    await tick();
    const between = new Date();
    await tick();
    await file.writeText('evening');
    expect(await (await file.asOf(between)).readText()).toBe('morning');
    expect(await (await file.asOf(new Date())).readText()).toBe('evening');
    await rejectsWith(file.asOf(new Date(0)), 'NOT_FOUND');
  });

  it('a delete leaves a delete marker; old versions stay readable', async () => {
    const file = storage.node('v:gone.txt');
    const kept = await file.writeText('keep me');
    await tick();
    await file.delete();
    expect(await file.exists()).toBe(false);
    const versions = await file.versions();
    expect(versions[0]).toMatchObject({ isLatest: true, isDeleteMarker: true });
    expect(await file.atVersion(kept.versionId!).readText()).toBe('keep me');
    await rejectsWith(file.asOf(new Date()), 'NOT_FOUND');
  });

  it('deleteVersion and compactVersions remove old versions for good', async () => {
    const file = storage.node('v:many.txt');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await file.writeText(`v${i}`)).versionId!);
      await tick();
    }
    await file.deleteVersion(ids[0]!);
    expect((await file.versions()).map((v) => v.versionId)).not.toContain(ids[0]);
    expect(await file.compactVersions({ keep: 2 })).toBe(2);
    expect((await file.versions()).map((v) => v.versionId)).toEqual([ids[4], ids[3]]);
    expect(await file.compactVersions()).toBe(1);
    expect(await file.readText()).toBe('v4');
  });

  it('compactVersions counts real versions: a deleted file keeps what it can be restored from', async () => {
    const file = storage.node('v:deleted.txt');
    await file.writeText('one');
    await tick();
    const two = await file.writeText('two');
    await tick();
    await file.delete();
    expect(await file.compactVersions({ keep: 1 })).toBe(1);
    expect((await file.versions()).map((v) => v.isDeleteMarker || v.versionId)).toEqual([true, two.versionId]);
    expect(await file.atVersion(two.versionId!).readText()).toBe('two');
  });

  it('past versions cannot be written; compaction needs the delete permission', async () => {
    const file = storage.node('v:ro.txt');
    const { versionId } = await file.writeText('x');
    await rejectsWith(file.atVersion(versionId!).writeText('y'), 'INVALID_INPUT');
    await storage.configure([{ name: 'vro', path: 'v:', permissions: 'readwrite' }]);
    expect((await storage.node('vro:ro.txt').versions()).length).toBe(1);
    await rejectsWith(storage.node('vro:ro.txt').compactVersions(), 'PERMISSION_DENIED');
    await rejectsWith(storage.node('vro:ro.txt').deleteVersion(versionId!), 'PERMISSION_DENIED');
  });

  it('a version id must be a non-empty string, a date a valid Date, keep a number (INVALID_INPUT)', async () => {
    const file = storage.node('v:ids.txt');
    await file.writeText('one');
    await tick();
    await file.writeText('two');
    expect(throwsWith(() => file.atVersion(''), 'INVALID_INPUT').message).toBe(
      '[ufs] [memory] atVersion "v:ids.txt": the version id must be a non-empty string, not an empty one',
    );
    throwsWith(() => file.atVersion(null as never), 'INVALID_INPUT');
    await rejectsWith(file.deleteVersion(''), 'INVALID_INPUT');
    expect(await file.versions()).toHaveLength(2);
    expect(await file.readText()).toBe('two');
    const err = await rejectsWith(file.asOf(new Date('x')), 'INVALID_INPUT');
    expect(err.message).toBe('[ufs] [memory] asOf "v:ids.txt": the date must be a valid Date, not an invalid date');
    await rejectsWith(file.asOf('2024-01-01' as never), 'INVALID_INPUT');
    await rejectsWith(file.compactVersions({ keep: Number.NaN }), 'INVALID_INPUT');
    expect(await file.versions()).toHaveLength(2);
  });

  it('mounts without versioning answer UNSUPPORTED', async () => {
    const file = storage.node('plain:p.txt');
    await file.writeText('p');
    const err = await rejectsWith(file.versions(), 'UNSUPPORTED');
    expect(err.message).toContain('[memory] versions "plain:p.txt"');
    throwsWith(() => file.atVersion('x'), 'UNSUPPORTED');
    await rejectsWith(file.asOf(new Date()), 'UNSUPPORTED');
    await rejectsWith(file.compactVersions(), 'UNSUPPORTED');
  });
});
