import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { knownProviders } from '@org/providers';
import { startHostingFake, type HostingFake } from './fakes/hosting.js';
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
    const run = await ufs(['provider', 'list'], { env });
    expect(run.status).toBe(0);
    for (const id of knownProviders()) expect(run.stdout).toMatch(new RegExp(`^${id}\\s`, 'm'));
    const json = await ufs(['provider', 'list', '--json'], { env });
    const infos = json.json<Array<{ id: string; maxSize?: number; default: boolean }>>();
    expect(infos.map((i) => i.id)).toEqual(knownProviders());
    expect(infos.find((i) => i.id === 'catbox')).toMatchObject({ maxSize: 200_000_000, default: true });
  });

  it('status says what is ready and why the rest is not', async () => {
    const run = await ufs(['provider', 'status'], { env });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^catbox\s+ready/m);
    expect(run.stdout).toMatch(/^pixeldrain\s+not ready\s+.*PIXELDRAIN_API_KEY/m);
    const keyed = await ufs(['provider', 'status', 'pixeldrain', '--json'], {
      env: { ...env, PIXELDRAIN_API_KEY: 'k' },
    });
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

  it('refuses an unknown provider id', async () => {
    const run = await ufs(['provider', 'status', 'nope'], { env });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('unknown provider "nope"');
  });
});
