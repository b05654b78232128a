// `ufs url` on Dropbox: temporary links always last 4 hours, so that is the default there and another --expires is
// refused (a user asking for 10 minutes must not get a 4-hour link in silence). Against @org/test-services' Dropbox
// API fake (real HTTP).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDropboxFake, type DropboxFake } from '@org/test-services';
import { stringify } from 'yaml';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let dropbox: DropboxFake;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  dropbox = await startDropboxFake();
  dropbox.tokens.add('good-token');
  const mounts = {
    box: { protocol: 'dropbox', accessToken: 'good-token', apiBaseUrl: dropbox.url, root: '/Apps/ufs' },
  };
  await mkdir(join(env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify({ mounts }));
  await writeFile(join(box.dir, 'f.txt'), 'hello dropbox');
  const copied = await ufs(['cp', join(box.dir, 'f.txt'), 'box:f.txt'], { env });
  expect(copied.status).toBe(0);
}, 60_000);
afterAll(async () => {
  await dropbox.close();
  await box.cleanup();
});

describe('ufs url on Dropbox', () => {
  it('gives a 4-hour link when --expires is left out, and with --expires 4h', async () => {
    for (const flags of [[], ['--expires', '4h']]) {
      const run = await ufs(['url', '--json', ...flags, 'box:f.txt'], { env });
      expect(run.status).toBe(0);
      const { url, expiresIn } = run.json<{ url: string; expiresIn: number }>();
      expect(expiresIn).toBe(14_400);
      expect(await (await fetch(url)).text()).toBe('hello dropbox');
    }
  });

  it('refuses another --expires naming the 4-hour lifetime (69), printing no URL', async () => {
    const run = await ufs(['url', '--expires', '10m', 'box:f.txt'], { env });
    expect(run.stderr.trim()).toBe(
      '[ufs] url: --expires 10m cannot be kept: dropbox links always last 4 hours (--expires 4h, or leave --expires out)',
    );
    expect(run.status).toBe(69);
    expect(run.stdout).toBe('');
  });
});
