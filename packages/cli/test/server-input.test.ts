// What `ufs server …`, `ufs scan` and `ufs serve` refuse before doing anything: key names the server's API refuses,
// flags of the other way of creating a key, an API key no HTTP header can carry, a --max-upload that refuses every
// upload. Usage errors (64) for what was typed, configuration errors (78) for env and the config file.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let admin: Record<string, string>;
/** A server that records what reaches it: nothing refused up front may. */
let probe: { url: string; seen: string[]; close(): Promise<void> };

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  admin = { ...box.env, UFS_SERVER: server.url, UFS_API_KEY: server.apiKey ?? '' };
  const seen: string[] = [];
  const srv = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  probe = {
    url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`,
    seen,
    close: async () => {
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
    },
  };
});
afterAll(async () => {
  await probe?.close();
  await server?.stop();
  await box.cleanup();
});

/** One line on stderr, nothing on stdout. */
function refused(run: { status: number | null; stdout: string; stderr: string }) {
  return { status: run.status, stdout: run.stdout, lines: run.stderr.trim().split('\n').length };
}

describe('ufs server key create: the name', () => {
  it('"" and a name over 100 characters are refused (64, naming NAME), with --bootstrap and through the API', async () => {
    const dir = join(box.dir, 'names');
    const long = 'n'.repeat(101);
    const ways = [
      ['--bootstrap', '--data-dir', dir],
      ['--server', probe.url],
    ];
    // All refused before anything is opened or sent: run at the same time.
    const [runs, description] = await Promise.all([
      Promise.all(
        ways.map((way) =>
          Promise.all([
            ufs(['server', 'key', 'create', '', ...way], { env: admin }),
            ufs(['server', 'key', 'create', long, ...way], { env: admin }),
          ]),
        ),
      ),
      ufs(['server', 'key', 'create', 'd', '-d', 'x'.repeat(1001), '--bootstrap'], { env: box.env }),
    ]);
    for (const [empty, over] of runs) {
      expect(refused(empty)).toEqual({ status: 64, stdout: '', lines: 1 });
      expect(empty.stderr).toContain('[ufs] NAME must not be empty (1–100 characters)');
      expect(refused(over)).toEqual({ status: 64, stdout: '', lines: 1 });
      expect(over.stderr).toContain('[ufs] NAME is longer than 100 characters (101)');
    }
    expect(probe.seen).toEqual([]);
    // The store was not opened: no data folder.
    expect(existsSync(dir)).toBe(false);
    const longest = await ufs(['server', 'key', 'create', 'n'.repeat(100), '--bootstrap', '--data-dir', dir], {
      env: box.env,
    });
    expect(longest.status).toBe(0);
    expect(refused(description)).toEqual({ status: 64, stdout: '', lines: 1 });
    expect(description.stderr).toContain('--description is longer than 1000 characters (1001)');
  });
});

describe('ufs server key create: flags of one way only', () => {
  it('--data-dir, --mongodb, --content without --bootstrap are usage errors saying they go with it', async () => {
    const cases: Array<[string[], string]> = [
      [['--data-dir', join(box.dir, 'x')], '--data-dir goes with --bootstrap'],
      [['--content', join(box.dir, 'x')], '--content goes with --bootstrap'],
      [['--mongodb', 'mongodb://127.0.0.1:1/ufs', '--data-dir', join(box.dir, 'x')], '--data-dir, --mongodb go with'],
    ];
    const runs = await Promise.all(
      cases.map(([flags]) =>
        ufs(['server', 'key', 'create', 'k', '--server', probe.url, '-k', 'a', ...flags], { env: box.env }),
      ),
    );
    for (const [i, [, says]] of cases.entries()) {
      expect(refused(runs[i]!)).toEqual({ status: 64, stdout: '', lines: 1 });
      expect(runs[i]!.stderr).toContain(says);
    }
    expect(probe.seen).toEqual([]);
    expect(existsSync(join(box.dir, 'x'))).toBe(false);
  });

  it('--bootstrap with -s or -k typed is a usage error; the same values from env are left alone', async () => {
    const dir = join(box.dir, 'bootstrap-flags');
    const typed = [
      ['-s', probe.url],
      ['-k', 'secret-key'],
      ['--timeout', '5'],
    ];
    const runs = await Promise.all(
      typed.map((flags) =>
        ufs(['server', 'key', 'create', 'k', '--bootstrap', '--data-dir', dir, ...flags], { env: box.env }),
      ),
    );
    for (const run of runs) {
      expect(refused(run)).toEqual({ status: 64, stdout: '', lines: 1 });
      expect(run.stderr).toContain('cannot be used with --bootstrap');
      expect(run.stderr).not.toContain('secret-key');
    }
    expect(existsSync(dir)).toBe(false);
    const fromEnv = await ufs(['server', 'key', 'create', 'k', '--bootstrap', '--data-dir', dir], {
      env: { ...box.env, UFS_SERVER: probe.url, UFS_API_KEY: 'abc' },
    });
    expect(fromEnv.status).toBe(0);
    expect(probe.seen).toEqual([]);
  });

  it('--bootstrap --json prints the fields the API answers', async () => {
    const dir = join(box.dir, 'bootstrap-json');
    const [byApi, local] = await Promise.all([
      ufs(['server', 'key', 'create', 'by-api', '--json'], { env: admin }),
      ufs(['server', 'key', 'create', 'by-store', '--bootstrap', '--data-dir', dir, '--json'], { env: box.env }),
    ]);
    const api = byApi.json<object>();
    expect(local.status).toBe(0);
    const made = local.json<Record<string, unknown>>();
    expect(Object.keys(made)).toEqual(Object.keys(api));
    expect(made).toMatchObject({
      name: 'by-store',
      description: 'created with --bootstrap',
      is_active: true,
      scopes: ['read', 'write', 'admin'],
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });
});

describe('an API key no HTTP header can carry', () => {
  const bad = ['secret0123…', 'secret\nline'];

  it('-k / --api-key: 64 naming the flag, never the key; nothing is sent (server commands and scan)', async () => {
    const dir = join(box.dir, 'scan-me');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.txt'), 'a\n');
    for (const key of bad) {
      const runs = await Promise.all(
        [
          ['server', 'key', 'list'],
          ['server', 'gc'],
          ['scan', '--no-cache', dir],
        ].map((args) => ufs([...args, '--server', probe.url, '--api-key', key], { env: box.env })),
      );
      for (const run of runs) {
        expect(refused(run)).toEqual({ status: 64, stdout: '', lines: 1 });
        expect(run.stderr).toMatch(/^\[ufs\] --api-key holds a character that an HTTP header cannot carry \(U\+/);
        expect(run.stderr).not.toContain('secret');
      }
    }
    expect(probe.seen).toEqual([]);
  });

  it('env UFS_API_KEY or "server.apiKey" of the config file: 78 naming where it came from', async () => {
    const config = join(box.dir, 'bad-key.yaml');
    await writeFile(config, `server:\n  url: ${probe.url}\n  apiKey: "secret0123…"\n`);
    const [env, file, scan] = await Promise.all([
      ufs(['server', 'key', 'list', '-s', probe.url], { env: { ...box.env, UFS_API_KEY: 'secret0123…' } }),
      ufs(['server', 'key', 'list', '--config', config], { env: box.env }),
      ufs(['scan', '--no-cache', box.dir], { env: { ...box.env, UFS_CONFIG: config } }),
    ]);
    expect(refused(env)).toEqual({ status: 78, stdout: '', lines: 1 });
    expect(env.stderr).toContain('[ufs] the API key in env UFS_API_KEY holds a character');
    expect(env.stderr).toContain('U+2026');
    expect(refused(file)).toEqual({ status: 78, stdout: '', lines: 1 });
    expect(file.stderr).toContain(`[ufs] the API key in "server.apiKey" in config "${config}" holds a character`);
    expect(scan.status).toBe(78);
    expect(`${env.stderr}${file.stderr}${scan.stderr}`).not.toContain('secret');
    expect(probe.seen).toEqual([]);
  });
});

describe('ufs serve --max-upload', () => {
  it.each(['0', '0.4', '0KiB'])('%s: 64 naming --max-upload before anything is created', async (value) => {
    const dir = join(box.dir, `max-upload-${value}`);
    const run = await ufs(['serve', '--port', '0', '--data-dir', dir, '--max-upload', value], { env: box.env });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr.trim().split('\n') }).toEqual({
      status: 64,
      stdout: '',
      stderr: [`[ufs] --max-upload must be at least 1 byte (0 would refuse every upload), got "${value}"`],
    });
    expect(existsSync(dir)).toBe(false);
  });

  it('1 byte is the least it takes', async () => {
    const small = await serve(['--data-dir', join(box.dir, 'max-upload-1'), '--max-upload', '1'], box.env);
    expect(await small.stop()).toBe(0);
  });
});

describe('ufs server key … --timeout', () => {
  it('0 waits as long as the server takes, as for gc and verify, and the help of every key command says so', async () => {
    const [helps, created] = await Promise.all([
      Promise.all(
        ['create', 'list', 'revoke'].map((command) => ufs(['server', 'key', command, '--help'], { env: box.env })),
      ),
      ufs(['server', 'key', 'create', 'no-limit', '--timeout', '0', '--verbose'], { env: admin }),
    ]);
    for (const help of helps) {
      expect(help.stdout.replace(/\s+/g, ' ')).toContain('(0: no limit; at most 2147483, about 24.8 days)');
    }
    expect(created.status).toBe(0);
    expect(created.stderr).toContain('(with no time limit, see --timeout)');
    const list = await ufs(['server', 'key', 'list', '--timeout', '0', '--json'], { env: admin });
    expect(list.status).toBe(0);
    const id = (JSON.parse(list.stdout) as Array<{ _id: string; name: string }>).find(
      (k) => k.name === 'no-limit',
    )!._id;
    expect((await ufs(['server', 'key', 'revoke', id, '--timeout', '0'], { env: admin })).status).toBe(0);
  });
});
