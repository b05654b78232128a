import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { onProcessExit } from '../exit-hooks.js';
import { freePort } from '../net.js';
import { killPidsSync, runCommand, spawnDaemon, stopPids } from '../processes.js';
import { waitUntil } from '../wait.js';
import { createWorkDir, destroyWorkDir, destroyWorkDirSync, reapOrphans } from '../workdir.js';
import type { ServiceDefinition } from './types.js';

/** A running OpenSSH server with SFTP, and what a client needs to log in and to verify it. */
export interface SftpEndpoint {
  host: string;
  port: number;
  username: string;
  /** Client private key (OpenSSH format, no passphrase) whose public key the server accepts. */
  privateKeyPath: string;
  /** The server's host key fingerprint, as `ssh-keygen -lf` prints it: `SHA256:…`. */
  hostFingerprint: string;
  /** The server's host public key line: `ssh-ed25519 AAAA…`. */
  hostPublicKey: string;
}

export const SFTP_ENV = {
  host: 'UFS_TEST_SFTP_HOST',
  port: 'UFS_TEST_SFTP_PORT',
  username: 'UFS_TEST_SFTP_USERNAME',
  privateKeyPath: 'UFS_TEST_SFTP_PRIVATE_KEY_PATH',
  hostFingerprint: 'UFS_TEST_SFTP_HOST_FINGERPRINT',
  hostPublicKey: 'UFS_TEST_SFTP_HOST_KEY',
} as const;

const KIND = 'sshd';
const SSHD = '/usr/sbin/sshd';

function sshdConfig(dir: string, port: number): string {
  return `Port ${port}
ListenAddress 127.0.0.1
HostKey ${dir}/host_key
PidFile ${dir}/sshd.pid
AuthorizedKeysFile ${dir}/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding no
X11Forwarding no
MaxStartups 100
MaxSessions 100
Subsystem sftp internal-sftp
LogLevel INFO
`;
}

function fingerprintOf(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Pids of every live descendant of `pid` (per-connection sshd processes), from /proc. */
function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Resolves with the first line the server sends ("SSH-2.0-OpenSSH_9.2p1 …"). */
function banner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 2_000 });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) {
        socket.destroy();
        resolve(text.split('\n')[0]!.trim());
      }
    });
    socket.on('timeout', () => socket.destroy(new Error('no banner within 2 s')));
    socket.on('error', reject);
  });
}

/**
 * Starts a real OpenSSH sshd (Debian `openssh-server`) on a free 127.0.0.1 port, in the foreground, with its own
 * ed25519 host key and a client key for the current user (root here: sshd needs root for privilege separation).
 * Key authentication only; SFTP is served by `internal-sftp`. stop() ends the daemon and its per-connection
 * processes and removes the folder.
 */
export async function startSshd(options: { log?: (message: string) => void } = {}): Promise<{
  info: SftpEndpoint;
  startupMs: number;
  stop(): Promise<void>;
}> {
  const started = Date.now();
  if (process.getuid?.() !== 0) throw new Error('startSshd: sshd must run as root (privilege separation)');
  await reapOrphans(KIND);
  const work = createWorkDir(KIND);
  const dir = work.path;
  let daemonPid: number | undefined;
  const unhook = onProcessExit(() => {
    if (daemonPid !== undefined) killPidsSync([daemonPid, ...descendantsOf(daemonPid)]);
    destroyWorkDirSync(work);
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Collect the per-connection processes first: once the listener is gone they are re-parented.
      if (daemonPid !== undefined) await stopPids([daemonPid, ...descendantsOf(daemonPid)], 2_000);
      await destroyWorkDir(work, 1_000);
    })().finally(unhook));

  try {
    // Debian's sshd refuses to start without its privilege separation folder.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const keygen = (file: string) =>
      runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `ufs-test-${file}`, '-f', join(dir, file)], {
        cwd: dir,
        timeoutMs: 10_000,
        step: `generate ${file}`,
      });
    await keygen('host_key');
    await keygen('client_key');
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
    const hostPublicKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim();
    const username = userInfo().username;

    // The port is free when chosen but could be taken before sshd binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = join(dir, `sshd_config.${port}`);
      writeFileSync(config, sshdConfig(dir, port));
      const output = join(dir, `sshd.${port}.log`);
      const daemon = spawnDaemon('sshd', SSHD, ['-D', '-e', '-f', config], { cwd: dir, outputFile: output });
      work.addPid(daemon.pid);
      daemonPid = daemon.pid;
      try {
        const greeting = await waitUntil(() => banner(port), {
          service: 'sshd',
          what: `greet on 127.0.0.1:${port}`,
          timeoutMs: 10_000,
          intervalMs: 20,
          logFiles: [output],
          abortIf: () => daemon.exitReason(),
        });
        const startupMs = Date.now() - started;
        options.log?.(`sshd up on 127.0.0.1:${port} (${greeting}) in ${startupMs} ms (folder ${dir})`);
        return {
          info: {
            host: '127.0.0.1',
            port,
            username,
            privateKeyPath: join(dir, 'client_key'),
            hostFingerprint: fingerprintOf(hostPublicKey),
            hostPublicKey,
          },
          startupMs,
          stop,
        };
      } catch (err) {
        await stopPids([daemon.pid], 1_000);
        if (attempt >= 3 || !/Address already in use|Bind to port/i.test(readFileSync(output, 'utf8'))) throw err;
      }
    }
  } catch (err) {
    await stop().catch(() => {});
    throw new Error(`startSshd failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export function sftpFromEnv(env: NodeJS.ProcessEnv = process.env): SftpEndpoint | undefined {
  const host = env[SFTP_ENV.host];
  const port = Number(env[SFTP_ENV.port]);
  const username = env[SFTP_ENV.username];
  const privateKeyPath = env[SFTP_ENV.privateKeyPath];
  const hostFingerprint = env[SFTP_ENV.hostFingerprint];
  const hostPublicKey = env[SFTP_ENV.hostPublicKey];
  if (!host || !Number.isInteger(port) || !username || !privateKeyPath || !hostFingerprint || !hostPublicKey) {
    return undefined;
  }
  return { host, port, username, privateKeyPath, hostFingerprint, hostPublicKey };
}

export function sftpEnv(info: SftpEndpoint): Record<string, string> {
  return {
    [SFTP_ENV.host]: info.host,
    [SFTP_ENV.port]: String(info.port),
    [SFTP_ENV.username]: info.username,
    [SFTP_ENV.privateKeyPath]: info.privateKeyPath,
    [SFTP_ENV.hostFingerprint]: info.hostFingerprint,
    [SFTP_ENV.hostPublicKey]: info.hostPublicKey,
  };
}

export const sftpService: ServiceDefinition<SftpEndpoint> = {
  name: 'sftp',
  description: 'SFTP (OpenSSH sshd, internal-sftp)',
  envNames: Object.values(SFTP_ENV),
  start: ({ log }) => startSshd({ log }),
  toEnv: sftpEnv,
  fromEnv: sftpFromEnv,
  describe: (info) => `sftp://${info.username}@${info.host}:${info.port}`,
};
