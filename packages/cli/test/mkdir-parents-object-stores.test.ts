// `ufs mkdir` without -p on the mounts without real folders (S3, Azure) wants the parent to be there, as on every
// backend: a missing parent is NOT_FOUND (66) naming it, and nothing is made (S3 used to write markers for the
// parent and the folder). With -p the parents are made (S3 markers) or, where nothing can be (Azure), a note says so.
// Against the radosgw of @org/test-services and a real azurite.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from '@org/test-services';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

type Item = { path: string; created?: boolean; error?: { code: string; message: string; context: object } };

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let s3: Awaited<ReturnType<typeof s3Bucket>>;
let azurite: Azurite;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  s3 = await s3Bucket();
  azurite = await startAzurite();
  const az = {
    protocol: 'azure',
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    endpoint: azurite.blobEndpoint,
    container: `ufs-mkdir-p-${randomBytes(4).toString('hex')}`,
    createContainer: true,
  };
  await mkdir(join(env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify({ mounts: { s3: s3.mount, az } }));
  await writeFile(join(box.dir, 'f.txt'), 'a file');
}, 120_000);
afterAll(async () => {
  await azurite?.stop();
  await box.cleanup();
});

async function s3Keys(prefix: string): Promise<string[]> {
  const page = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

describe('ufs mkdir without -p on S3', () => {
  it('a missing parent is NOT_FOUND (66) naming it, and no marker is written', async () => {
    const run = await ufs(['mkdir', 's3:np1/child'], { env });
    expect(run.stderr.trim()).toBe(
      '[ufs] [s3] mkdir "s3:np1/child": the parent folder does not exist (use -p to create it)',
    );
    expect(run.status).toBe(66);
    expect(await s3Keys('np1')).toEqual([]);
    const json = await ufs(['mkdir', '--json', 's3:np1/child'], { env });
    expect(json.status).toBe(66);
    expect(json.json<Item[]>()[0]!.error).toMatchObject({ code: 'NOT_FOUND', context: { missing: 's3:np1' } });
  });

  it('with -p the parent and the folder are made; then a child of an existing folder needs no -p', async () => {
    const parents = await ufs(['mkdir', '-p', 's3:np2/child'], { env });
    expect(parents.status).toBe(0);
    expect(await s3Keys('np2')).toEqual(['np2/', 'np2/child/']);
    const child = await ufs(['mkdir', '--json', 's3:np2/other'], { env });
    expect(child.status).toBe(0);
    expect(child.json<Item[]>()).toEqual([{ path: 's3:np2/other', created: true }]);
    // A folder that is only the prefix of a file below it is there too.
    const put = await ufs(['cp', join(box.dir, 'f.txt'), 's3:np3/deep/f.txt'], { env });
    expect(put.status).toBe(0);
    const below = await ufs(['mkdir', 's3:np3/deep/sub', 's3:np3/sub'], { env });
    expect(below.status).toBe(0);
    expect(await s3Keys('np3')).toEqual(['np3/deep/f.txt', 'np3/deep/sub/', 'np3/sub/']);
  });
});

describe('ufs mkdir without -p on Azure (no folders)', () => {
  it('a missing parent is NOT_FOUND (66); with -p a note says nothing was made; an existing parent is fine', async () => {
    const run = await ufs(['mkdir', 'az:reports/q1'], { env });
    expect(run.stderr.trim()).toBe(
      '[ufs] [azure] mkdir "az:reports/q1": the parent folder does not exist (use -p to create it)',
    );
    expect(run.status).toBe(66);
    const parents = await ufs(['mkdir', '--json', '-p', 'az:reports/q1'], { env });
    expect(parents.status).toBe(0);
    expect(parents.json<Item[]>()).toEqual([{ path: 'az:reports/q1', created: false }]);
    expect(parents.stderr).toMatch(/nothing was made/);
    const put = await ufs(['cp', join(box.dir, 'f.txt'), 'az:docs/f.txt'], { env });
    expect(put.status).toBe(0);
    const child = await ufs(['mkdir', '--json', 'az:docs/sub', 'az:top'], { env });
    expect(child.status).toBe(0);
    expect(child.json<Item[]>()).toEqual([
      { path: 'az:docs/sub', created: false },
      { path: 'az:top', created: false },
    ]);
  });
});
