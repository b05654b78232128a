// A configured mount that cannot be opened (a key file missing, a credential unset) fails only the commands and paths
// that use it, with the error configuring it gives (code, message, context, exit status 78), as rclone checks a
// remote's config when it is used. Local paths and the other mounts work; a config file that cannot be read at all
// still fails every command.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sandbox, ufs } from './helpers/ufs.js';

const FINGERPRINT = `SHA256:${'A'.repeat(43)}`;

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string | undefined>;
let work: string;
let config: string;
/** The mounts of the config file, as the CLI hands them to the storage manager. */
let mounts: Record<string, Record<string, unknown>>;
interface ErrorJson {
  code: string;
  message: string;
  context: Record<string, unknown>;
}
/** What configuring each broken mount gives (with the mounts it is built on), by the storage manager itself. */
const expected: Record<string, ErrorJson> = {};

/** Configures `list` in one `configure()` in a plain node process: its error as JSON. */
async function configureError(list: Array<Record<string, unknown>>): Promise<ErrorJson> {
  const script = join(box.dir, 'configure.mjs');
  await writeFile(
    script,
    `const { StorageManager } = await import(${JSON.stringify(import.meta.resolve('@org/storage'))});
     const m = new StorageManager();
     try { await m.configure(JSON.parse(process.argv[2])); console.log('null'); }
     catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, context: e.context })); }
     await m.dispose();`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, [script, JSON.stringify(list)], {
    env: env as NodeJS.ProcessEnv,
  });
  const error = JSON.parse(stdout) as ErrorJson | null;
  if (!error) throw new Error(`configuring ${JSON.stringify(list)} did not fail`);
  return error;
}

beforeAll(async () => {
  box = await sandbox();
  env = { ...box.env, AZURE_STORAGE_KEY: undefined, AZURE_STORAGE_SAS_TOKEN: undefined };
  work = join(box.dir, 'work');
  await mkdir(join(work, 'data', 'sub'), { recursive: true });
  await writeFile(join(work, 'a.txt'), 'local a\n');
  await writeFile(join(work, 'data', 'd.txt'), 'data d\n');
  await writeFile(join(work, 'data', 'sub', 's.txt'), 'sub s\n');
  mounts = {
    web: {
      name: 'web',
      protocol: 'sftp',
      host: '127.0.0.1',
      username: 'root',
      privateKeyPath: join(box.dir, 'missing', 'key'),
      hostFingerprint: FINGERPRINT,
      root: '/srv',
    },
    data: { name: 'data', protocol: 'local', root: join(work, 'data') },
    az: {
      name: 'az',
      url: 'azure://box?account=devstoreaccount1&endpoint=http://127.0.0.1:10000/devstoreaccount1',
    },
    docs: { name: 'docs', path: 'data:sub' },
    site: { name: 'site', path: 'web:www' },
  };
  config = join(box.dir, 'broken.yaml');
  await writeFile(
    config,
    [
      'mounts:',
      ...Object.values(mounts).map(({ name, ...rest }) => `  ${name as string}: ${JSON.stringify(rest)}`),
      '',
    ].join('\n'),
  );
  expected.web = await configureError([mounts.web!]);
  expected.az = await configureError([mounts.az!]);
  // A relative mount on a broken parent: the parent's error, as configuring both gives.
  expected.site = await configureError([mounts.web!, mounts.site!]);
}, 60_000);
afterAll(() => box.cleanup());

const run = (args: string[], extra: Record<string, string> = {}) =>
  ufs(args, { env: { ...env, UFS_CONFIG: config, ...extra }, cwd: work });

describe('a mount that cannot be opened', () => {
  it('is really broken (the errors the storage manager gives)', () => {
    expect(expected.web).toMatchObject({ code: 'CONFIG_INVALID', context: { mount: 'web' } });
    expect(expected.web!.message).toMatch(/^\[ufs\] mount "web": cannot read "privateKeyPath"/);
    expect(expected.az).toMatchObject({ code: 'CONFIG_INVALID', context: { mount: 'az' } });
    expect(expected.az!.message).toMatch(/needs accountKey/);
    expect(expected.site).toEqual(expected.web);
  });

  it('does not stop commands on local paths', async () => {
    const cat = await run(['cat', './a.txt']);
    expect({ status: cat.status, stdout: cat.stdout, stderr: cat.stderr }).toEqual({
      status: 0,
      stdout: 'local a\n',
      stderr: '',
    });
    const ls = await run(['ls', '.']);
    expect({ status: ls.status, stderr: ls.stderr }).toEqual({ status: 0, stderr: '' });
    expect(ls.stdout.split('\n')).toContain('a.txt');
    const cp = await run(['cp', './a.txt', './b.txt']);
    expect({ status: cp.status, stderr: cp.stderr }).toEqual({ status: 0, stderr: '' });
    expect(await readFile(join(work, 'b.txt'), 'utf8')).toBe('local a\n');
    for (const args of [
      ['stat', './b.txt'],
      ['mkdir', './made'],
      ['mv', './b.txt', './made/'],
      ['rm', './made/b.txt'],
    ]) {
      const r = await run(args);
      expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 0, stderr: '' });
    }
  });

  it('does not stop commands on the mounts that open, nor relative mounts on them', async () => {
    const ls = await run(['ls', 'data:']);
    expect({ status: ls.status, stdout: ls.stdout, stderr: ls.stderr }).toEqual({
      status: 0,
      stdout: 'd.txt\nsub/\n',
      stderr: '',
    });
    const cat = await run(['cat', 'docs:s.txt', 'data:d.txt']);
    expect({ status: cat.status, stdout: cat.stdout, stderr: cat.stderr }).toEqual({
      status: 0,
      stdout: 'sub s\ndata d\n',
      stderr: '',
    });
    const cp = await run(['cp', './a.txt', 'docs:copied.txt']);
    expect({ status: cp.status, stderr: cp.stderr }).toEqual({ status: 0, stderr: '' });
    expect(await readFile(join(work, 'data', 'sub', 'copied.txt'), 'utf8')).toBe('local a\n');
  });

  it.each([
    ['ls', ['ls', 'web:'], 'web'],
    ['ls (azure, no key)', ['ls', 'az:'], 'az'],
    ['ls (a relative mount on it)', ['ls', 'site:'], 'site'],
    ['cat', ['cat', 'web:a.txt'], 'web'],
    ['stat', ['stat', 'az:a.txt'], 'az'],
    ['mkdir', ['mkdir', 'web:new'], 'web'],
    ['rm', ['rm', 'web:a.txt'], 'web'],
    ['url', ['url', 'az:a.txt'], 'az'],
    ['cp to it', ['cp', './a.txt', 'web:a.txt'], 'web'],
    ['cp from it', ['cp', 'az:a.txt', './z.txt'], 'az'],
    ['mv from it', ['mv', 'site:a.txt', './z.txt'], 'site'],
    ['mv to it', ['mv', './a.txt', 'az:a.txt'], 'az'],
  ])('fails %s that uses it, with its error and 78', async (_what, args, mount) => {
    const r = await run(args);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 78,
      stdout: '',
      stderr: `${expected[mount]!.message}\n`,
    });
  });

  it('gives the same error as JSON (code, message, context, exit code)', async () => {
    const r = await run(['ls', '--json', 'web:']);
    expect(r.status).toBe(78);
    expect(r.json()).toEqual({ error: { ...expected.web, retryable: false, exitCode: 78 } });
  });

  it('fails only the paths that use it, among several', async () => {
    const cat = await run(['cat', 'web:a.txt', './a.txt', 'data:d.txt']);
    expect({ status: cat.status, stdout: cat.stdout, stderr: cat.stderr }).toEqual({
      status: 78,
      stdout: 'local a\ndata d\n',
      stderr: `${expected.web!.message}\n`,
    });
    const stat = await run(['stat', '--json', './a.txt', 'az:x', 'data:d.txt']);
    expect(stat.status).toBe(78);
    const items = stat.json<Array<{ path: string; isFile?: boolean; error?: ErrorJson }>>();
    expect(items.map((item) => [item.path, item.isFile ?? item.error?.code])).toEqual([
      [join(work, 'a.txt'), true],
      ['az:x', 'CONFIG_INVALID'],
      ['data:d.txt', true],
    ]);
    expect(items[1]!.error).toMatchObject(expected.az!);
    const cp = await run(['cp', 'web:a.txt', './a.txt', 'docs:']);
    expect(cp.status).toBe(78);
    expect(cp.stderr.split('\n')[0]).toBe(expected.web!.message);
    expect(await readFile(join(work, 'data', 'sub', 'a.txt'), 'utf8')).toBe('local a\n');
  });

  it('is still listed among the configured mounts', async () => {
    const r = await run(['ls', 'nope:']);
    expect(r.status).toBe(66);
    expect(r.stderr).toContain('(configured: az, data, docs, site, web;');
  });
});

describe('a config file that cannot be used at all still fails every command', () => {
  it.each([
    ['not YAML', 'mounts: [\n', /^\[ufs\] config ".*": /],
    ['mounts of the wrong shape', 'mounts: 5\n', /: mounts: expected a list of mounts or a map/],
    ['a mount without a usable name', 'mounts:\n  - { protocol: local, root: /tmp }\n', /every mount needs a "name"/],
    [
      'a mount name no path can use',
      'mounts:\n  "a.b": { protocol: local, root: /tmp }\n',
      /^\[ufs\] mount "a\.b": "name" may hold only/,
    ],
  ])('%s', async (_what, text, message) => {
    const bad = join(box.dir, 'bad.yaml');
    await writeFile(bad, text);
    const r = await ufs(['cat', './a.txt'], { env: { ...env, UFS_CONFIG: bad }, cwd: work });
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 78, stdout: '' });
    expect(r.stderr.trim()).toMatch(message);
  });
});
