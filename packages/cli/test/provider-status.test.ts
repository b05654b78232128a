import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startHostingFake, type HostingFake } from './fakes/hosting.js';
import { sandbox, ufs } from './helpers/ufs.js';

let fake: HostingFake;
let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
/** Takes connections and reads what is sent, never answers. */
let silent: Server;
let silentUrl: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  fake = await startHostingFake();
  box = await sandbox();
  env = { ...box.env, ...fake.env, PIXELDRAIN_API_KEY: '' };
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined).on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await fake.close();
  await box.cleanup();
});

/** The providers whose base URL an env variable sets and that need no account. */
const OPEN = ['catbox', 'litterbox', '0x0', 'x0at', 'uguu', 'tmpfiles', 'tmpfilelink', 'sendit', 'tempsh', 'filebin'];
const urlVariable = (id: string) => `UFS_${id.toUpperCase()}_URL`;

async function freshTmp(name: string): Promise<string> {
  const dir = join(box.dir, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

describe('ufs provider status --online: the temporary folder', () => {
  it('a TMPDIR that does not exist: each row says it was not checked, naming it; 78, no raw error', async () => {
    const missing = join(box.dir, 'nope');
    const [run, json] = await Promise.all([
      ufs(['provider', 'status', '--online', '0x0', 'catbox'], { env: { ...env, TMPDIR: missing } }),
      ufs(['provider', 'status', '--online', '0x0', '--json'], { env: { ...env, TMPDIR: missing } }),
    ]);
    expect(run.status).toBe(78);
    for (const id of ['0x0', 'catbox']) {
      expect(run.stdout).toContain(
        `${id.padEnd(6)}  ready   NOT CHECKED  cannot make a temporary folder in "${missing}" (TMPDIR): no such file or directory (ENOENT)`,
      );
    }
    expect(run.stderr).toBe('');
    expect(json.status).toBe(78);
    expect(json.json()).toEqual([
      expect.objectContaining({
        online: expect.objectContaining({ error: expect.objectContaining({ code: 'CONFIG_INVALID' }) }),
      }),
    ]);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s while checks hang: the temporary folders are removed, the table says STOPPED, %d',
    async (signal, status) => {
      const tmp = await freshTmp(`tmp-${signal}`);
      const started = ufs(['provider', 'status', '--online', '0x0', 'catbox'], {
        env: { ...env, TMPDIR: tmp, UFS_0X0_URL: silentUrl, UFS_CATBOX_URL: silentUrl },
        onSpawn: (child) => {
          const poll = setInterval(() => {
            // Signalled once the checks are under way (their folder exists and the server has both requests).
            void readdir(tmp).then((names) => {
              if (names.some((name) => name.startsWith('ufs-check-')) && sockets.size >= 2 && child.exitCode === null) {
                clearInterval(poll);
                setTimeout(() => child.kill(signal), 200);
              }
            });
          }, 20);
          child.once('close', () => clearInterval(poll));
        },
      });
      const run = await started;
      sockets.clear();
      expect(run.status).toBe(status);
      expect(await readdir(tmp)).toEqual([]);
      expect(run.stdout).toMatch(new RegExp(`^0x0\\s+ready\\s+STOPPED\\s+interrupted \\(${signal}\\)$`, 'm'));
      expect(run.stderr.trim()).toBe(`[ufs] provider status: interrupted (${signal}): 0 of 2 checks done`);
    },
  );
});

describe('ufs provider status --online: checks at the same time, reasons in plain words', () => {
  it('ten providers on a server that never answers take about one timeout, in registry order', async () => {
    const tmp = await freshTmp('tmp-many');
    const urls = Object.fromEntries(OPEN.map((id) => [urlVariable(id), silentUrl]));
    const before = Date.now();
    const run = await ufs(['provider', 'status', '--online', '--timeout', '2'], {
      env: { ...env, ...urls, TMPDIR: tmp },
    });
    const seconds = (Date.now() - before) / 1000;
    sockets.forEach((socket) => socket.destroy());
    sockets.clear();
    expect(run.status).toBe(75); // TIMEOUT
    // One after another they took 2 s each (20 s); at the same time about 2 s, plus start-up.
    expect(seconds).toBeLessThan(9);
    const rows = run.stdout.split('\n').filter((line) => /^\S+\s+ready\s+FAILED/.test(line));
    expect(rows.map((line) => line.split(/\s+/)[0])).toEqual(OPEN);
    for (const row of rows) expect(row).toMatch(/FAILED\s+no complete answer within 2 s$/);
    expect(run.stdout).not.toMatch(/ufs-check-|fragile|failed on/);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('an HTTP error shows as the status and body the service answered', async () => {
    fake.mode.catbox = 'error500';
    const run = await ufs(['provider', 'status', '--online', 'catbox'], { env });
    fake.mode.catbox = 'ok';
    expect(run.status).toBe(69);
    expect(run.stdout).toMatch(/^catbox\s+ready\s+FAILED\s+HTTP 500: internal error$/m);
  });
});

describe('ufs provider status refuses what upload refuses', () => {
  it("an unknown provider in the config file's providerOptions: 78, the message of upload", async () => {
    const config = join(box.dir, 'pon.yaml');
    await writeFile(config, 'upload:\n  providerOptions:\n    nope: {}\n');
    const file = join(box.dir, 'a.txt');
    await writeFile(file, 'a\n');
    const [upload, ...runs] = await Promise.all([
      ufs(['upload', '--config', config, '-p', '0x0', file], { env }),
      ...[['0x0'], [], ['--online', '0x0']].map((args) =>
        ufs(['provider', 'status', '--config', config, ...args], { env }),
      ),
    ]);
    expect(upload.status).toBe(78);
    for (const run of runs) {
      expect(run.status).toBe(78);
      expect(run.stderr).toBe(upload.stderr);
      expect(run.stdout).toBe('');
    }
    expect(upload.stderr).toContain('unknown provider "nope" in providerOptions');
  });

  it.each([
    ['a mounts file that does not exist', 'missing.yaml', undefined, 'www:drops', 'cannot read config file'],
    ['a mounts file that is not YAML', 'bad.yaml', 'a: [\n', 'www:drops', 'is not valid YAML'],
    ['a mounts file that is a YAML list', 'list.yaml', '- a\n- b\n', 'www:drops', 'must be an object'],
    ['a target on no configured mount', 'ok.yaml', 'ok', 'nomount:x', 'no mount named "nomount" (target); mounts: www'],
  ])('mount with %s: not ready, with the reason of upload; --online: 78', async (_what, name, text, target, words) => {
    const path = join(box.dir, name);
    const www = { name: 'www', protocol: 'local', root: box.dir, baseUrl: 'http://127.0.0.1:1/' };
    if (text !== undefined) await writeFile(path, text === 'ok' ? `mounts:\n  - ${JSON.stringify(www)}\n` : text);
    const mountEnv = { ...env, UFS_MOUNTS: path, UFS_MOUNT_TARGET: target };
    const file = join(box.dir, 'q.txt');
    await writeFile(file, 'q\n');
    const [upload, run, online] = await Promise.all([
      ufs(['upload', '-p', 'mount', file], { env: mountEnv }),
      ufs(['provider', 'status', 'mount'], { env: mountEnv }),
      ufs(['provider', 'status', '--online', 'mount'], { env: mountEnv }),
    ]);
    expect(upload.status).toBe(78);
    expect(upload.stderr).toContain(words);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^mount\s+not ready\s+/m);
    expect(run.stdout).toContain(words);
    expect(online.status).toBe(78);
    expect(online.stdout).toMatch(/^mount\s+not ready\s+NOT CHECKED\s+/m);
    expect(online.stderr).toContain(words);
  });
});
