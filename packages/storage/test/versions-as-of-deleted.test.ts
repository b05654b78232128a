// asOf(date) is the version current at that date: after a delete, nothing was, until the file is written again. GCS
// has no delete markers: a generation stops being current at its `timeDeleted` (deleted or replaced), so asOf reads
// it, as S3 and memory read their delete markers. The same history on the fake GCS (versioned bucket), radosgw (a
// versioned bucket) and memory?versioning=true gives the same answers.
import { afterAll, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { startGcsFixture } from './fakes/gcs-fixture.js';
import { rejectsWith } from './helpers.js';
import { s3Fixture } from './services/s3.js';

const fixture = await s3Fixture('as-of-deleted');
const gcs = await startGcsFixture();
const storage = new StorageManager({ env: {} });
await storage.configure([
  { name: 'vgcs', protocol: 'gcs', ...gcs.base, bucket: 'ufs-versioned', versioning: true },
  {
    name: 'vs3',
    protocol: 's3',
    bucket: fixture.versionedBucket,
    versioning: true,
    ...fixture.connection,
    forcePathStyle: true,
  },
  { name: 'mem', url: 'memory://?versioning=true' },
]);
afterAll(async () => {
  await storage.dispose();
  await gcs.close();
});

let n = 0;
// S3 (radosgw) keeps times to the millisecond; a little apart, the versions' times differ.
const tick = () => new Promise((resolve) => setTimeout(resolve, 30));

describe.each(['vgcs', 'vs3', 'mem'])('asOf on %s', (mount) => {
  it('is NOT_FOUND between a delete and the next write, and after a delete; the content of its time otherwise', async () => {
    const file = storage.node(`${mount}:as-of/${++n}/doc.txt`);
    await file.writeText('draft');
    await tick();
    const drafted = new Date();
    await tick();
    await file.delete();
    await tick();
    const gap = new Date();
    await tick();
    const err = await rejectsWith(file.asOf(gap), 'NOT_FOUND');
    expect(err.message).toContain(`no version existed at ${gap.toISOString()}`);
    await rejectsWith(file.asOf(new Date()), 'NOT_FOUND');
    expect(await (await file.asOf(drafted)).readText()).toBe('draft');
    await file.writeText('final');
    await tick();
    await rejectsWith(file.asOf(gap), 'NOT_FOUND');
    expect(await (await file.asOf(drafted)).readText()).toBe('draft');
    expect(await (await file.asOf(new Date())).readText()).toBe('final');
    await file.delete();
    await tick();
    await rejectsWith(file.asOf(new Date()), 'NOT_FOUND');
  });

  it('a replaced version is current until the next one (no gap between them)', async () => {
    const file = storage.node(`${mount}:as-of/${++n}/doc.txt`);
    await file.writeText('one');
    await tick();
    const between = new Date();
    await tick();
    await file.writeText('two');
    await tick();
    expect(await (await file.asOf(between)).readText()).toBe('one');
    expect(await (await file.asOf(new Date())).readText()).toBe('two');
    await rejectsWith(file.asOf(new Date(0)), 'NOT_FOUND');
  });
});

it('GCS versions say since when a noncurrent generation is not current (its timeDeleted)', async () => {
  const file = storage.node(`vgcs:as-of/${++n}/doc.txt`);
  await file.writeText('one');
  await tick();
  const before = new Date();
  await file.writeText('two');
  await tick();
  await file.delete();
  const versions = (await file.versions()) as { isLatest: boolean; noncurrentSince?: Date }[];
  expect(versions.map((v) => v.isLatest)).toEqual([false, false]);
  expect(versions.every((v) => v.noncurrentSince instanceof Date)).toBe(true);
  expect(versions[1]!.noncurrentSince!.getTime()).toBeGreaterThanOrEqual(before.getTime());
  expect(versions[0]!.noncurrentSince!.getTime()).toBeGreaterThan(versions[1]!.noncurrentSince!.getTime());
});
