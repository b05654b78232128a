// Start/stop robustness: failed startups, signals and killed owners must leave no daemons and no folders behind.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3_ENV, s3FromEnv, startRadosgw } from '../src/index.js';
import { isAlive } from '../src/processes.js';
import { createWorkDir, reapOrphans } from '../src/workdir.js';
import { rejection } from './rejection.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../dist/bin/with-services.js');

/** Live processes whose working directory is inside `dir`. */
function processesUnder(dir: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(`${dir}/`) && isAlive(pid);
      } catch {
        return false;
      }
    });
}

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'ufs-lifecycle-'));
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

test('a startup that fails half-way stops its daemons, removes its folder and shows the log tail', async () => {
  // 4 s is enough for the monitor and the OSD but not for radosgw's first start.
  const error = await rejection(startRadosgw({ baseDir: base, startTimeoutMs: 4_000, stopGraceMs: 500, retries: 0 }));
  expect(error.message).toMatch(/^startRadosgw failed after \d+\.\d s: /);
  expect(error.message).toMatch(new RegExp(`--- last 30 lines of ${base}/ufs-test-rgw-\\w+/log/`));
  expect(readdirSync(base)).toEqual([]);
  expect(processesUnder(base)).toEqual([]);
});

test('reapOrphans kills the daemons of folders whose owner died, and leaves everything else alone', async () => {
  const sleep = (cwd: string): number => {
    const child = spawn('sleep', ['600'], { cwd, stdio: 'ignore' });
    child.unref();
    return child.pid!;
  };
  const deadPid = await new Promise<number>((resolve) => {
    const child = spawn('true');
    child.once('exit', () => resolve(child.pid!));
  });

  const orphan = join(base, 'ufs-test-rgw-orphan');
  mkdirSync(orphan);
  const orphanDaemon = sleep(orphan);
  const elsewhere = sleep(base); // listed in the orphan's marker but not running from it: a reused pid
  writeFileSync(
    join(orphan, 'ufs-test-services.json'),
    JSON.stringify({ ownerPid: deadPid, ownerStart: '1', pids: [orphanDaemon, elsewhere] }),
  );
  const owned = createWorkDir('rgw', base);
  const ownedDaemon = sleep(owned.path);
  owned.addPid(ownedDaemon);

  try {
    expect(await reapOrphans('rgw', base)).toEqual([orphan]);
    expect(isAlive(orphanDaemon)).toBe(false);
    expect(existsSync(orphan)).toBe(false);
    expect(isAlive(elsewhere)).toBe(true);
    expect(isAlive(ownedDaemon)).toBe(true);
    expect(existsSync(owned.path)).toBe(true);
  } finally {
    for (const pid of [orphanDaemon, elsewhere, ownedDaemon]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('daemons die with their owner even when it is SIGKILLed (no exit hooks run)', async () => {
  const processesJs = join(dirname(BIN), '../processes.js');
  const script = `
    import { spawnDaemon } from ${JSON.stringify(processesJs)};
    const d = spawnDaemon('sleep', 'sleep', ['600'], { cwd: ${JSON.stringify(base)}, outputFile: ${JSON.stringify(join(base, 'out'))} });
    console.log(d.pid);
    setInterval(() => {}, 1000);`;
  const owner = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const daemonPid = await new Promise<number>((resolve, reject) => {
    owner.stdout!.setEncoding('utf8').once('data', (text: string) => resolve(Number(text.trim())));
    owner.once('exit', () => reject(new Error('owner exited early')));
  });
  expect(isAlive(daemonPid)).toBe(true);
  owner.kill('SIGKILL');
  const deadline = Date.now() + 5_000;
  while (isAlive(daemonPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(isAlive(daemonPid)).toBe(false);
});

/** Runs the bin; resolves with its exit code/signal and output. `onStdout` sees stdout as it arrives. */
function runBin(
  args: string[],
  env: NodeJS.ProcessEnv,
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // If jest itself is killed, setpriv makes the kernel send the bin SIGTERM, so it still cleans up.
    const command = [process.execPath, BIN, ...args];
    const [file, ...argv] = existsSync('/usr/bin/setpriv')
      ? ['/usr/bin/setpriv', '--pdeathsig', 'TERM', '--', ...command]
      : command;
    const child = spawn(file!, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout, child);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ufs-test-services bin', () => {
  test('reuses services already in the environment and passes the exit code through', async () => {
    const outer = s3FromEnv();
    expect(outer).toBeDefined();
    const printed = await runBin(
      ['--services', 's3', '--', process.execPath, '-e', `console.log(process.env.${S3_ENV.endpoint})`],
      process.env,
    );
    expect(printed.code).toBe(0);
    expect(printed.stdout.trim()).toBe(outer!.endpoint);
    expect(printed.stderr).not.toMatch(/radosgw \(S3\) up/); // nothing was started

    const failed = await runBin(['--', process.execPath, '-e', 'process.exit(7)'], process.env);
    expect(failed.code).toBe(7);
  });

  test('rejects bad arguments with usage and exit code 2', async () => {
    const res = await runBin(['--services', 'nope', '--', 'true'], process.env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/unknown test service\(s\): nope/);
    expect(res.stderr).toMatch(/^usage: ufs-test-services/m);
  });

  test('--print-env starts radosgw, keeps it up, and SIGTERM stops it leaving nothing behind', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: base };
    for (const name of Object.values(S3_ENV)) delete env[name];
    let daemons: number[] = [];
    let endpointStatus: number | undefined;
    let signalled = false;
    const res = await runBin(['--services', 's3', '--print-env'], env, (stdout, child) => {
      if (signalled || !stdout.includes(`export ${S3_ENV.secretAccessKey}=`)) return;
      signalled = true;
      const endpoint = /export UFS_TEST_S3_ENDPOINT=(\S+)/.exec(stdout)![1]!;
      void fetch(`${endpoint}/`)
        .then((r) => {
          endpointStatus = r.status;
          daemons = processesUnder(base);
        })
        .finally(() => child.kill('SIGTERM'));
    });
    expect(res.stdout).toMatch(/^export UFS_TEST_S3_ENDPOINT=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(res.stdout).toMatch(/^export UFS_TEST_S3_REGION=us-east-1$/m);
    expect(res.stdout).toMatch(/^export UFS_TEST_S3_ACCESS_KEY_ID=\w{20}$/m);
    expect(endpointStatus).toBe(200);
    expect(daemons).toHaveLength(3); // ceph-mon, ceph-osd, radosgw
    expect(res.code).toBe(143); // 128 + SIGTERM
    expect(daemons.filter(isAlive)).toEqual([]);
    expect(readdirSync(base)).toEqual([]);
  }, 180_000);
});
