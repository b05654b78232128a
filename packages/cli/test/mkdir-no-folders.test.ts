// `ufs mkdir` on a mount without folders (Azure: `directories: false`, mkdir a no-op) never succeeds in silence: a
// file in the way, a file above and refused credentials are errors, and when nothing could be made a note says so
// (`--json`: "created": false). Against a real azurite.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from '@org/test-services';
import { stringify } from 'yaml';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let azurite: Azurite;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  azurite = await startAzurite();
  const container = `ufs-mkdir-${randomBytes(4).toString('hex')}`;
  const az = { protocol: 'azure', accountName: AZURITE_ACCOUNT, endpoint: azurite.blobEndpoint, container };
  const mounts = {
    az: { ...az, accountKey: AZURITE_KEY, createContainer: true },
    // The same account with another (valid base64) key: every request is refused.
    badkey: { ...az, accountKey: Buffer.from('not the key').toString('base64') },
  };
  await mkdir(join(env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify({ mounts }));
  await writeFile(join(box.dir, 'f.txt'), 'a file');
  const put = await ufs(['cp', join(box.dir, 'f.txt'), 'az:f.txt'], { env });
  expect(put.status).toBe(0);
}, 120_000);
afterAll(async () => {
  await azurite?.stop();
  await box.cleanup();
});

type Item = { path: string; created?: boolean; error?: { code: string; message: string } };

describe('ufs mkdir on Azure (no folders)', () => {
  it('says that nothing was made, and --json says "created": false', async () => {
    const [run, json] = await Promise.all([
      ufs(['mkdir', 'az:reports'], { env }),
      ufs(['mkdir', '--json', '-p', 'az:reports/2024/q1'], { env }),
    ]);
    expect(run.status).toBe(0);
    expect(run.stderr.trim()).toBe(
      '[ufs] mkdir az:reports: nothing was made: the azure mount "az" has no folders (a folder exists once a file is written below it)',
    );
    expect(json.status).toBe(0);
    expect(json.json<Item[]>()).toEqual([{ path: 'az:reports/2024/q1', created: false }]);
    const stat = await ufs(['stat', 'az:reports'], { env });
    expect(stat.status).not.toBe(0);
  });

  it('an existing folder (a file below it) is ALREADY_EXISTS without -p, fine with -p', async () => {
    await ufs(['cp', join(box.dir, 'f.txt'), 'az:docs/in.txt'], { env });
    const [run, parents] = await Promise.all([
      ufs(['mkdir', '--json', 'az:docs'], { env }),
      ufs(['mkdir', '--json', '-p', 'az:docs'], { env }),
    ]);
    expect(run.json<Item[]>()[0]!.error).toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(parents.status).toBe(0);
    expect(parents.json<Item[]>()).toEqual([{ path: 'az:docs', created: true }]);
  });

  it('a file at the path is ALREADY_EXISTS, a file above it INVALID_INPUT', async () => {
    const [here, above] = await Promise.all([
      ufs(['mkdir', '--json', 'az:f.txt'], { env }),
      ufs(['mkdir', '--json', '-p', 'az:f.txt/sub/deeper'], { env }),
    ]);
    expect(here.status).not.toBe(0);
    expect(here.json<Item[]>()[0]!.error).toMatchObject({
      code: 'ALREADY_EXISTS',
      message: '[ufs] [azure] mkdir "az:f.txt": a file is in the way',
    });
    expect(above.status).not.toBe(0);
    expect(above.json<Item[]>()[0]!.error).toMatchObject({
      code: 'INVALID_INPUT',
      message: '[ufs] [azure] mkdir "az:f.txt/sub/deeper": "f.txt" is a file, not a folder',
    });
  });

  it('refused credentials are an error, not a silent success', async () => {
    const run = await ufs(['mkdir', '--json', 'badkey:reports'], { env });
    expect(run.status).not.toBe(0);
    expect(run.json<Item[]>()[0]!.error).toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});
