import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onProcessExit } from './exit-hooks.js';
import { freePorts } from './net.js';
import { runCommand, spawnDaemon, type Daemon } from './processes.js';
import { waitUntil } from './wait.js';
import { createWorkDir, destroyWorkDir, destroyWorkDirSync, reapOrphans, type WorkDir } from './workdir.js';

export interface RadosgwOptions {
  /** Cap of the in-memory object store (memory is used only as data is written). Default 6 GiB. */
  memstoreBytes?: number;
  /** Whole-startup budget. Default 120 s. */
  startTimeoutMs?: number;
  /** How long stop() lets the daemons exit on SIGTERM before SIGKILL. Default 2 s (radosgw takes ~5 s). */
  stopGraceMs?: number;
  /** Parent of the temp folder. Default os.tmpdir(). Keep it short: Ceph's admin sockets are UNIX sockets. */
  baseDir?: string;
  /** Extra `key = value` lines for the `[client.rgw]` section of ceph.conf (e.g. `{ 'rgw max put size': … }`). */
  rgwConfig?: Record<string, string | number | boolean>;
  /** Further attempts after a failed startup (each cleaned up first, each with its own time budget). Default 1. */
  retries?: number;
  /** Progress messages ("radosgw up on … in 12.3 s"). Default: none. */
  log?: (message: string) => void;
}

/** A running S3 endpoint plus what an S3 client needs to reach it. */
export interface S3Endpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: true;
}

export interface RadosgwHandle extends S3Endpoint {
  region: 'us-east-1';
  /** The cluster's temp folder (config, logs). Removed by stop(). */
  dir: string;
  /** Milliseconds from the call to startRadosgw until the S3 user existed. */
  startupMs: number;
  /** Stops all daemons (SIGTERM, then SIGKILL) and removes the temp folder. Safe to call more than once. */
  stop(): Promise<void>;
}

const KIND = 'rgw';
const GiB = 1024 ** 3;

function randomKey(length: number, alphabet: string): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function cephConf(
  dir: string,
  fsid: string,
  monPort: number,
  rgwPort: number,
  memstoreBytes: number,
  rgwConfig: Record<string, string | number | boolean>,
): string {
  const extra = Object.entries(rgwConfig).map(([k, v]) => `${k} = ${String(v)}\n`);
  return `[global]
fsid = ${fsid}
mon host = [v1:127.0.0.1:${monPort}]
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
# At start the OSD would register its CRUSH location and device class itself; its first monitor commands can
# race its monitor map (sent with a zero fsid, refused 'wrong fsid', and the OSD exits). We add it to CRUSH.
osd crush update on start = false
osd class update on start = false
memstore device bytes = ${memstoreBytes}
run dir = ${dir}/run
log file = ${dir}/log/$name.log
admin socket = ${dir}/run/$name.asok
mon data = ${dir}/mon/$cluster-$id
osd data = ${dir}/osd/$cluster-$id

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
# Free the data of deleted/overwritten objects within seconds, not after the default 2 hours: big-file tests
# would otherwise fill the in-memory store.
rgw gc obj min wait = 10
rgw gc processor period = 10
${extra.join('')}`;
}

/**
 * Starts a throwaway single-node Ceph cluster (monitor + memstore OSD + radosgw with the beast frontend) in a
 * fresh temp folder, all on 127.0.0.1 with free ports, and creates an S3 user with random keys.
 * On any failure everything started so far is stopped and removed, and the error carries the relevant log tails.
 */
export async function startRadosgw(options: RadosgwOptions = {}): Promise<RadosgwHandle> {
  const retries = options.retries ?? 1;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await startOnce(options, started);
    } catch (err) {
      if (attempt >= retries) throw err;
      options.log?.(`${(err as Error).message}\n--- retrying (attempt ${attempt + 2} of ${retries + 1}) ---`);
    }
  }
}

async function startOnce(options: RadosgwOptions, started: number): Promise<RadosgwHandle> {
  const attemptStarted = Date.now();
  const memstoreBytes = options.memstoreBytes ?? 6 * GiB;
  const stopGraceMs = options.stopGraceMs ?? 2_000;
  const deadline = attemptStarted + (options.startTimeoutMs ?? 120_000);
  const remaining = (): number => Math.max(1_000, deadline - Date.now());
  const log = options.log ?? (() => {});

  const orphans = await reapOrphans(KIND, options.baseDir);
  if (orphans.length) log(`removed ${orphans.length} radosgw folder(s) left by dead test processes`);

  const work: WorkDir = createWorkDir(KIND, options.baseDir);
  const dir = work.path;
  const unhook = onProcessExit(() => destroyWorkDirSync(work));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= destroyWorkDir(work, stopGraceMs).finally(() => {
      unhook();
    }));

  try {
    for (const sub of ['run', 'log', 'mon', 'osd/ceph-0']) mkdirSync(join(dir, sub), { recursive: true });
    const [monPort, rgwPort] = (await freePorts(2)) as [number, number];
    const fsid = randomUUID();
    const conf = join(dir, 'ceph.conf');
    writeFileSync(conf, cephConf(dir, fsid, monPort, rgwPort, memstoreBytes, options.rgwConfig ?? {}));
    const logs = {
      mon: join(dir, 'log/mon.a.log'),
      osd: join(dir, 'log/osd.0.log'),
      rgw: join(dir, 'log/client.rgw.log'),
      admin: join(dir, 'log/radosgw-admin.log'),
    };
    const out = (name: string): string => join(dir, `log/${name}.out`);
    const daemons: Daemon[] = [];
    const daemon = (name: string, command: string, args: string[]): Daemon => {
      const d = spawnDaemon(name, command, args, { cwd: dir, outputFile: out(name) });
      work.addPid(d.pid);
      daemons.push(d);
      return d;
    };
    const run = (step: string, command: string, args: string[], logFiles: string[]): Promise<string> =>
      runCommand(command, args, { cwd: dir, step, timeoutMs: remaining(), watch: daemons, logFiles });

    await run(
      'create the monitor map',
      'monmaptool',
      ['--create', '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, '--fsid', fsid, join(dir, 'monmap')],
      [],
    );
    await run(
      'create the monitor store',
      'ceph-mon',
      ['-c', conf, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')],
      [logs.mon],
    );
    const monLogs = [logs.mon, out('ceph-mon')];
    daemon('ceph-mon', 'ceph-mon', ['-f', '-c', conf, '-i', 'a']);

    const ceph = (step: string, args: string[], logFiles: string[]): Promise<string> =>
      run(step, 'ceph', ['-c', conf, '--connect-timeout', String(Math.ceil(remaining() / 1000)), ...args], logFiles);
    // The OSD gets the uuid it was registered with: when it starts it may register itself again ("osd create 0
    // <uuid>"), which the monitor refuses with 'wrong fsid' (and the OSD exits) if the uuids differ.
    const osdUuid = randomUUID();
    const osdId = (await ceph('register the OSD', ['osd', 'create', osdUuid], monLogs)).trim();
    if (osdId !== '0') throw new Error(`\`ceph osd create\` printed "${osdId}", expected "0"`);
    const osdLogs = [logs.osd, out('ceph-osd')];
    await run('create the OSD store', 'ceph-osd', ['-c', conf, '-i', '0', '--mkfs', '--osd-uuid', osdUuid], osdLogs);
    daemon('ceph-osd', 'ceph-osd', ['-f', '-c', conf, '-i', '0']);
    await ceph(
      'add the OSD to the CRUSH map',
      ['osd', 'crush', 'add', 'osd.0', '1.0', 'host=localhost', 'root=default'],
      [...monLogs, ...osdLogs],
    );

    const rgwLogs = [logs.rgw, out('radosgw'), logs.osd];
    daemon('radosgw', 'radosgw', ['-f', '-c', conf, '-n', 'client.rgw']);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await waitUntil(
      async () => {
        const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`GET / answered ${res.status}`);
        return true;
      },
      {
        service: 'radosgw',
        what: `answer GET ${endpoint}/`,
        timeoutMs: remaining(),
        intervalMs: 100,
        logFiles: rgwLogs,
        abortIf: () => {
          const dead = daemons.find((d) => d.exitReason() !== undefined);
          return dead && `${dead.name} exited (${dead.exitReason() ?? ''})`;
        },
      },
    );

    const accessKeyId = randomKey(20, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
    const secretAccessKey = randomKey(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
    const uid = `test-${randomKey(6, 'abcdefghijklmnopqrstuvwxyz')}`;
    const userJson = await run(
      'create the S3 user',
      'radosgw-admin',
      [
        '-c',
        conf,
        '-n',
        'client.rgw',
        // radosgw-admin shares client.rgw's config: give it its own log and no admin socket (radosgw holds that).
        '--admin-socket=',
        `--log-file=${logs.admin}`,
        'user',
        'create',
        `--uid=${uid}`,
        '--display-name=ufs tests',
        `--access-key=${accessKeyId}`,
        `--secret=${secretAccessKey}`,
      ],
      [logs.admin, logs.rgw],
    );
    if (!userJson.includes(accessKeyId)) throw new Error(`radosgw-admin user create printed no key:\n${userJson}`);

    const startupMs = Date.now() - started;
    log(`radosgw (S3) up on ${endpoint} in ${(startupMs / 1000).toFixed(1)} s (folder ${dir})`);
    return {
      endpoint,
      region: 'us-east-1',
      accessKeyId,
      secretAccessKey,
      forcePathStyle: true,
      dir,
      startupMs,
      stop,
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await stop().catch(() => {});
    throw new Error(`startRadosgw failed after ${((Date.now() - attemptStarted) / 1000).toFixed(1)} s: ${message}`, {
      cause: err,
    });
  }
}
