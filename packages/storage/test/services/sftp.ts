import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServices, stopServices, type ServiceInfo } from '@org/test-services';
import { SftpConnection } from '../../src/backends/sftp/connection.js';

export type SftpEndpoint = ServiceInfo<'sftp'>;

/**
 * The sshd described by UFS_TEST_SFTP_* (an outer runner started it), else a fresh one started for this test
 * file (about 0.1 s). The server runs on this machine, so its files are this machine's files.
 */
export async function sftpEndpoint(): Promise<SftpEndpoint & { stop(): Promise<void> }> {
  const services = await ensureServices(['sftp']);
  return { ...(services[0]!.info as SftpEndpoint), stop: () => stopServices(services) };
}

/** The mount configuration of an sftp mount named `name` on `sshd`, rooted at `root`. */
export function sftpMount(sshd: SftpEndpoint, root: string, name = 'remote') {
  return {
    name,
    protocol: 'sftp',
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.privateKeyPath,
    hostFingerprint: sshd.hostFingerprint,
    root,
  };
}

export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Cuts every open connection (both sides), like a server or network dropping them. */
  dropAll(): void;
  close(): Promise<void>;
}

/** A TCP relay on 127.0.0.1 to `targetPort`, to cut connections from the outside. */
export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcpProxy: no port');
  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    dropAll() {
      for (const socket of open) socket.destroy();
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A real SFTP connection (key auth, host key pinned) to the test sshd, rooted at a fresh temp folder, for tests that
 * drive the backend on a session they wrap (faults, counting). `close()` ends it, removes the folder, stops sshd.
 */
export async function sftpConnectionAt(prefix: string): Promise<{
  connection: SftpConnection;
  base: string;
  close(): Promise<void>;
}> {
  const sshd = await sftpEndpoint();
  const base = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const connection = new SftpConnection({
    mountName: prefix,
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: await readFile(sshd.privateKeyPath),
    root: base,
    timeoutMs: 10_000,
    keepaliveInterval: 0,
    fingerprints: [sshd.hostFingerprint],
    hostKeys: [],
    insecureSkipHostKeyCheck: false,
  });
  return {
    connection,
    base,
    async close() {
      try {
        await connection.dispose();
      } finally {
        rmSync(base, { recursive: true, force: true });
        await sshd.stop();
      }
    },
  };
}
