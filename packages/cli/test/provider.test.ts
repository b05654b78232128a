import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { knownProviders } from '@org/providers';
import { PIXELDRAIN_KEY, startHostingFake, type HostingFake } from './fakes/hosting.js';
import { sandbox, ufs } from './helpers/ufs.js';

let fake: HostingFake;
let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;

beforeAll(async () => {
  fake = await startHostingFake();
  box = await sandbox();
  env = { ...box.env, ...fake.env, PIXELDRAIN_API_KEY: '' };
});
afterAll(async () => {
  await fake.close();
  await box.cleanup();
});

describe('ufs provider', () => {
  it('list prints every registered provider; --json carries their info', async () => {
    const [run, json] = await Promise.all([
      ufs(['provider', 'list'], { env }),
      ufs(['provider', 'list', '--json'], { env }),
    ]);
    expect(run.status).toBe(0);
    for (const id of knownProviders()) expect(run.stdout).toMatch(new RegExp(`^${id}\\s`, 'm'));
    // 0x0 takes any number of hours (its `expires` field), litterbox a fixed list (the spec).
    expect(run.stdout).toMatch(/^0x0\s+512 MiB\s.*\sany\s+none\s+yes\s*$/m);
    expect(run.stdout).toMatch(/^litterbox\s.*\s1h 12h 24h 72h\s+none\s/m);
    const infos = json.json<Array<{ id: string; maxSize?: number; default: boolean }>>();
    expect(infos.map((i) => i.id)).toEqual(knownProviders());
    expect(infos.find((i) => i.id === 'catbox')).toMatchObject({ maxSize: 200_000_000, default: true });
  });

  it('status says what is ready and why the rest is not', async () => {
    const [run, keyed] = await Promise.all([
      ufs(['provider', 'status'], { env }),
      ufs(['provider', 'status', 'pixeldrain', '--json'], { env: { ...env, PIXELDRAIN_API_KEY: 'k' } }),
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^catbox\s+ready/m);
    expect(run.stdout).toMatch(/^pixeldrain\s+not ready\s+.*PIXELDRAIN_API_KEY/m);
    expect(keyed.json()).toEqual([expect.objectContaining({ id: 'pixeldrain', ready: true })]);
  });

  it('status --online uploads, verifies and deletes where possible', async () => {
    const run = await ufs(['provider', 'status', '--online', 'catbox', '0x0', '--json'], { env });
    expect(run.status).toBe(0);
    const [catbox, zero] = run.json<Array<{ id: string; online: { ok: boolean; deleted?: boolean; url: string } }>>();
    expect(catbox).toMatchObject({ id: 'catbox', online: { ok: true } });
    expect(zero).toMatchObject({ id: '0x0', online: { ok: true, deleted: true } });
    expect(fake.deleted).toHaveLength(1);
  });

  it('status --online fails with a non-zero status when a check fails', async () => {
    fake.mode.catbox = 'nourl';
    const run = await ufs(['provider', 'status', '--online', 'catbox'], { env });
    fake.mode.catbox = 'ok';
    expect(run.status).toBe(70); // UNEXPECTED: a 2xx with no URL
    expect(run.stdout).toMatch(/^catbox\s+ready\s+FAILED/m);
  });

  it('status counts provider options from the config file, as upload does (status and --online)', async () => {
    const www = join(box.dir, 'www');
    await mkdir(www, { recursive: true });
    const config = join(box.dir, 'status-config.yaml');
    await writeFile(
      config,
      [
        'upload:',
        '  providerOptions:',
        `    pixeldrain: { apiKey: ${PIXELDRAIN_KEY} }`,
        '    s3: { bucket: my-bucket }',
        // (a baseUrl: a mount that gives no URL is refused by upload, so it is not ready)
        `    mount: { mounts: [{ name: www, protocol: local, root: ${JSON.stringify(www)}, baseUrl: 'http://127.0.0.1:1/' }], target: 'www:drops' }`,
        '',
      ].join('\n'),
    );
    const [run, named] = await Promise.all([
      ufs(['provider', 'status', '--config', config], { env }),
      ufs(['provider', 'status', 'pixeldrain', 'mount', '--json'], { env: { ...env, UFS_CONFIG: config } }),
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^pixeldrain\s+ready/m);
    expect(run.stdout).toMatch(/^s3\s+ready/m);
    expect(run.stdout).toMatch(/^mount\s+ready/m);
    expect(named.json()).toEqual([
      expect.objectContaining({ id: 'pixeldrain', ready: true }),
      expect.objectContaining({ id: 'mount', ready: true }),
    ]);
    // --online uses the key: the fake refuses anonymous uploads (401), so ok means the key was sent.
    const before = fake.uploads.length;
    const online = await ufs(['provider', 'status', '--online', 'pixeldrain', '--config', config, '--json'], { env });
    expect(online.status).toBe(0);
    expect(online.json()).toEqual([
      expect.objectContaining({ id: 'pixeldrain', online: expect.objectContaining({ ok: true }) }),
    ]);
    expect(fake.uploads.slice(before).map((u) => u.service)).toEqual(['pixeldrain']);
  });

  it('status --online with a named provider that is not ready checks nothing and fails (78) saying why', async () => {
    const before = fake.uploads.length;
    const run = await ufs(['provider', 'status', '--online', 'pixeldrain', 'catbox'], { env });
    expect(run.status).toBe(78); // CONFIG_INVALID: the configuration it needs is missing
    expect(run.stderr.trim()).toMatch(/^\[ufs\] \[pixeldrain\] not checked: not ready: PIXELDRAIN_API_KEY is not set/);
    expect(run.stdout).toMatch(/^pixeldrain\s+not ready\s+NOT CHECKED\s+PIXELDRAIN_API_KEY/m);
    expect(run.stdout).toMatch(/^catbox\s+ready\s+online/m);
    expect(fake.uploads.slice(before).map((u) => u.service)).toEqual(['catbox']);
    const json = await ufs(['provider', 'status', '--online', 'pixeldrain', '--json'], { env });
    expect(json.status).toBe(78);
    expect(json.json()).toEqual([
      expect.objectContaining({
        id: 'pixeldrain',
        ready: false,
        online: expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'CONFIG_INVALID' }) }),
      }),
    ]);
  });

  it('refuses an unknown provider id as a usage error (64)', async () => {
    const run = await ufs(['provider', 'status', 'nope'], { env });
    expect(run.status).toBe(64);
    expect(run.stderr).toContain('unknown provider "nope"');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('status --timeout past the longest timer Node.js can set is a usage error (64) naming the bound', async () => {
    const run = await ufs(['provider', 'status', '--online', '--timeout', '2147484', '0x0'], { env });
    expect(run.status).toBe(64);
    expect(run.stderr).toContain('Expected whole seconds from 1 to 2147483');
    expect(run.stdout).toBe('');
  });

  it('status --online shows the whole reason of a failed check on its one line', async () => {
    fake.mode.catbox = 'error500';
    const run = await ufs(['provider', 'status', '--online', 'catbox'], { env });
    fake.mode.catbox = 'ok';
    expect(run.status).toBe(69);
    // the provider's reason itself (it used to be cut off after "failed on catbox (…):", then shown after it)
    expect(run.stdout).toMatch(/^catbox\s+ready\s+FAILED\s+HTTP 500: internal error$/m);
  });
});
