import { createHash } from 'node:crypto';
import SftpClient from 'ssh2-sftp-client';
import { UfsError, describeContext } from '@org/core';
import { IDLE_TIMEOUT_CODE } from '../../util/socket-timeouts.js';
import { connectError, sftpStatus, STATUS } from './errors.js';

/** The raw SFTP channel of ssh2 (what `ssh2-sftp-client` wraps). */
export type SFTPWrapper = Awaited<ReturnType<SftpClient['connect']>>;
export type SftpStats = Parameters<Parameters<SFTPWrapper['stat']>[1]>[1];
export type SftpDirEntry = Parameters<Parameters<SFTPWrapper['readdir']>[1]>[1][number];

/** Calls a node-style ssh2 method as a promise: `await call<SftpStats>((cb) => sftp.stat(path, cb))`. */
export function call<T = void>(fn: (cb: (err: Error | undefined | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (err) {
      reject(err);
    }
  });
}

/** The SFTP requests of ssh2's channel: each takes a callback as its last argument and sends one request. */
const REQUESTS = new Set([
  'open',
  'close',
  'read',
  'write',
  'fstat',
  'fsetstat',
  'futimes',
  'fchown',
  'fchmod',
  'opendir',
  'readdir',
  'unlink',
  'rename',
  'mkdir',
  'rmdir',
  'stat',
  'lstat',
  'setstat',
  'utimes',
  'chown',
  'chmod',
  'readlink',
  'symlink',
  'realpath',
  'ext_openssh_rename',
  'ext_openssh_statvfs',
  'ext_openssh_fstatvfs',
  'ext_openssh_hardlink',
  'ext_openssh_fsync',
  'ext_openssh_lsetstat',
  'ext_openssh_expandPath',
  'ext_copy_data',
  'ext_home_dir',
  'ext_users_groups',
]);

type Callback = (err: Error | undefined | null, ...values: unknown[]) => void;

/** The error of a request on a channel that closed: its callback would never have been called. */
function channelClosed(): Error {
  return Object.assign(new Error('the SFTP channel is closed (connection lost)'), { code: STATUS.CONNECTION_LOST });
}

/** The error of requests that got no answer for `timeoutMs`: sftpError makes it a TIMEOUT naming the option. */
export function idleTimeoutError(endpoint: string, timeoutMs: number): Error {
  return Object.assign(new Error(`no answer from ${endpoint} for ${timeoutMs} ms (timeoutMs)`), {
    code: IDLE_TIMEOUT_CODE,
  });
}

/** The idle limit of a channel: no answer to any pending request for `timeoutMs` (0 = none) calls `onIdle`. */
export interface ChannelIdle {
  timeoutMs: number;
  /** The server as the timeout's error names it (`host:port`). */
  endpoint: string;
  /** Called once, after the pending requests were failed with the timeout's error: the connection is to be ended. */
  onIdle(error: Error): void;
}

/**
 * The channel as the backend uses it: once the connection is lost (`dropped()`), ssh2 answers the requests then
 * pending with an error but silently drops any later one, whose callback never runs (a promise awaiting it never
 * settles, and Node exits with nothing said). Here a request on a closed channel fails at once, and requests still
 * pending when it drops fail then, whatever ssh2 does with them. With `idle`, requests pending while no answer (to
 * any of them) arrives for `idle.timeoutMs` all fail with the timeout's error and the channel counts as dropped: a
 * stalled peer is noticed then, not after the keepalive's 4 intervals.
 */
export function guardedChannel(
  sftp: SFTPWrapper,
  idle?: ChannelIdle,
): { sftp: SFTPWrapper; dropped: (error?: Error) => void } {
  const pending = new Set<Callback>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const isOpen = () => !closed && (sftp as unknown as { outgoing?: { state?: string } }).outgoing?.state === 'open';
  const dropped = (error?: Error) => {
    closed = true;
    clearTimeout(timer);
    for (const cb of [...pending]) cb(error ?? channelClosed());
  };
  const expired = () => {
    if (closed || pending.size === 0) return;
    const error = idleTimeoutError(idle!.endpoint, idle!.timeoutMs);
    dropped(error);
    idle!.onIdle(error);
  };
  /** A request was sent (`answered`: false) or answered: the idle clock runs while some request waits. */
  const progress = (answered: boolean) => {
    if (!idle || idle.timeoutMs <= 0) return;
    if (pending.size === 0) {
      clearTimeout(timer);
      timer = undefined;
    } else if (!timer) {
      timer = setTimeout(expired, idle.timeoutMs);
      timer.unref();
    } else if (answered) {
      timer.refresh();
    }
  };
  const proxy: SFTPWrapper = new Proxy(sftp, {
    get: (target, p) => {
      const value: unknown = Reflect.get(target, p, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      // Streams keep the channel they were made on: made on this one, their own requests are guarded too.
      if (p === 'createReadStream' || p === 'createWriteStream') return method.bind(proxy);
      if (typeof p !== 'string' || !REQUESTS.has(p)) return method.bind(target);
      return (...args: unknown[]) => {
        const cb = args[args.length - 1];
        if (typeof cb !== 'function') return method.apply(target, args);
        let done = false;
        const once: Callback = (err, ...values) => {
          if (done) return;
          done = true;
          pending.delete(once);
          if (!closed) progress(true);
          (cb as Callback)(err, ...values);
        };
        if (!isOpen()) {
          process.nextTick(() => once(channelClosed()));
          return false;
        }
        pending.add(once);
        progress(false);
        return method.apply(target, [...args.slice(0, -1), once]);
      };
    },
  });
  return { sftp: proxy, dropped };
}

/** One live SSH connection with its SFTP channel and the resolved mount root. */
export interface Session {
  readonly sftp: SFTPWrapper;
  /** Absolute real path of the mount root on the server (symlinks resolved). */
  readonly root: string;
  readonly posixRename: boolean;
  readonly fsync: boolean;
  /** False once the connection dropped, timed out or was closed; operations then need a new session. */
  alive: boolean;
  /** The connection's session once this one is lost: a new connection (cleanup of what the lost one left). */
  next?(): Promise<Session>;
  /**
   * Removes a remote file (a write's temporary file) once a new session is up, when this one died before it could:
   * the next connection unlinks it before any operation runs on it.
   */
  removeLater?(path: string): void;
}

export interface ConnectionConfig {
  mountName: string;
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string | Buffer;
  passphrase?: string;
  root: string;
  /**
   * No answer for this long (ms) while a request waits fails the pending requests with TIMEOUT and ends the
   * connection; also the limit of the SSH handshake unless `readyTimeout` is given. 0 = no limit.
   */
  timeoutMs: number;
  /** The SSH handshake's own limit (ms), when given (else `timeoutMs`). */
  readyTimeout?: number;
  keepaliveInterval: number;
  /** Accepted SHA256 fingerprints (`SHA256:…`) and public key blobs; both empty = accept any key (insecure). */
  fingerprints: string[];
  hostKeys: Buffer[];
  insecureSkipHostKeyCheck: boolean;
}

/** How long dispose() lets a connection end politely before its socket is closed (a stalled one never answers). */
const END_MS = 1000;

/**
 * Ends a client's SSH connection. ssh2-sftp-client's `end()` does nothing before its SFTP channel is up and waits
 * for the server's goodbye: `now` closes the socket at once (a stalled or half-made connection), otherwise the polite
 * end gets END_MS.
 */
async function hangUp(client: SftpClient, now = false): Promise<void> {
  const ssh = (client as unknown as { client: { destroy(): unknown } }).client;
  if (!now) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.end().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, END_MS);
      }),
    ]);
    clearTimeout(timer);
  }
  ssh.destroy();
}

export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key blob of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`) or of bare base64. */
export function hostKeyBlob(line: string): Buffer {
  const parts = line.trim().split(/\s+/);
  const base64 = parts.length >= 2 ? parts[1]! : parts[0]!;
  return Buffer.from(base64, 'base64');
}

/**
 * One SSH connection per backend, made on first use and replaced after it drops; `dispose()` closes it for good.
 * Concurrent operations share the connection (SFTP multiplexes requests).
 */
export class SftpConnection {
  readonly #config: ConnectionConfig;
  #current: Promise<Session> | undefined;
  #live: Session | undefined;
  #client: SftpClient | undefined;
  /** The client of a connection being made: ended by dispose() too. */
  #connecting: SftpClient | undefined;
  #disposed = false;
  /** Temporary files a lost session could not remove; the next session removes them. */
  readonly #leftovers = new Set<string>();

  constructor(config: ConnectionConfig) {
    this.#config = config;
  }

  /** The server's host name, as configured. */
  get host(): string {
    return this.#config.host;
  }

  get target(): string {
    return `${this.#config.username}@${this.#endpoint}`;
  }

  /** `host:port`, as timeouts name the server. */
  get #endpoint(): string {
    const { host, port } = this.#config;
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  session(): Promise<Session> {
    if (this.#disposed) {
      return Promise.reject(
        new UfsError('UNAVAILABLE', `[ufs] [sftp] mount "${this.#config.mountName}" was disposed`, {
          retryable: false,
          context: { backend: 'sftp', mount: this.#config.mountName },
        }),
      );
    }
    if (this.#live && !this.#live.alive) {
      this.#live = undefined;
      this.#current = undefined;
    }
    if (!this.#current) {
      const attempt = this.#connect();
      this.#current = attempt;
      attempt.catch(() => {
        if (this.#current === attempt) this.#current = undefined;
      });
    }
    return this.#current;
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    const pending = this.#current;
    this.#current = undefined;
    // A connection being made is ended, not waited for (its handshake may be stalled).
    if (this.#connecting) await hangUp(this.#connecting, true);
    if (pending) await pending.catch(() => undefined);
    const client = this.#client;
    this.#client = undefined;
    if (client) await hangUp(client);
  }

  async #connect(): Promise<Session> {
    const cfg = this.#config;
    const context = { backend: 'sftp', mount: cfg.mountName, operation: 'connect', path: this.target };
    const client = new SftpClient(`ufs-sftp-${cfg.mountName}`, {});
    let lastRawError: (Error & { level?: string }) | undefined;
    let rejectedKey: string | undefined;
    client.on('error', (err: Error) => {
      lastRawError = err;
    });
    const verify = (key: Buffer): boolean => {
      if (cfg.insecureSkipHostKeyCheck && cfg.fingerprints.length === 0 && cfg.hostKeys.length === 0) return true;
      const fingerprint = fingerprintOf(key);
      const ok = cfg.fingerprints.includes(fingerprint) || cfg.hostKeys.some((k) => k.equals(key));
      if (!ok) rejectedKey = fingerprint;
      return ok;
    };
    // One limit for the TCP connection, the SSH handshake and the start of the SFTP channel: `readyTimeout` when
    // given, else `timeoutMs` (ssh2's own timer says neither how long nor which option; it is left off).
    const [limit, option] =
      cfg.readyTimeout !== undefined ? [cfg.readyTimeout, 'readyTimeout'] : [cfg.timeoutMs, 'timeoutMs'];
    let ready = false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      if (limit <= 0) return;
      timer = setTimeout(() => {
        const what = ready ? 'no SFTP channel' : 'no SSH handshake';
        reject(
          new UfsError('TIMEOUT', `${describeContext(context)} ${what} within ${limit} ms (${option})`, {
            context: { ...context, timeout: option },
            retryable: true,
          }),
        );
      }, limit);
    });
    client.on('ready', () => {
      ready = true;
    });
    this.#connecting = client;
    let sftp: SFTPWrapper;
    try {
      const connecting = client.connect({
        host: cfg.host,
        port: cfg.port,
        username: cfg.username,
        password: cfg.password,
        privateKey: cfg.privateKey,
        passphrase: cfg.passphrase,
        readyTimeout: 0,
        keepaliveInterval: cfg.keepaliveInterval,
        keepaliveCountMax: 3,
        hostVerifier: verify,
      });
      connecting.catch(() => undefined);
      sftp = await Promise.race([connecting, timedOut]);
    } catch (err) {
      await hangUp(client, true);
      throw connectError(err, lastRawError, rejectedKey, context, this.target);
    } finally {
      clearTimeout(timer);
      if (this.#connecting === client) this.#connecting = undefined;
    }
    if (this.#disposed) {
      await hangUp(client, true);
      throw new UfsError('UNAVAILABLE', `[ufs] [sftp] mount "${cfg.mountName}" was disposed`, {
        retryable: false,
        context,
      });
    }

    const extensions = (sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
    // Requests that get no answer for timeoutMs end the connection (`dropped` below marks the session lost).
    const lost = { now: false };
    const channel = guardedChannel(sftp, {
      timeoutMs: cfg.timeoutMs,
      endpoint: this.#endpoint,
      onIdle: () => {
        lost.now = true;
        if (made) made.alive = false;
        if (this.#client === client) this.#client = undefined;
        void hangUp(client, true);
      },
    });
    let made: Session | undefined;
    let session: Session;
    try {
      const root = await resolveRoot(channel.sftp, cfg.root, context);
      session = {
        sftp: channel.sftp,
        root,
        posixRename: extensions['posix-rename@openssh.com'] === '1',
        fsync: extensions['fsync@openssh.com'] === '1',
        alive: true,
        next: () => this.session(),
        removeLater: (path) => this.#leftovers.add(path),
      };
      made = session;
      for (const path of [...this.#leftovers]) {
        this.#leftovers.delete(path);
        await call((cb) => channel.sftp.unlink(path, cb)).catch(() => undefined);
      }
    } catch (err) {
      await hangUp(client, true);
      throw err;
    }

    if (lost.now) session.alive = false;
    const dropped = () => {
      channel.dropped();
      if (!session.alive) return;
      session.alive = false;
      if (this.#client === client) this.#client = undefined;
      void hangUp(client, true);
    };
    client.on('close', dropped);
    client.on('end', dropped);
    client.on('error', dropped);
    sftp.on('close', dropped);
    sftp.on('end', dropped);
    this.#client = client;
    this.#live = session;
    return session;
  }
}

async function resolveRoot(sftp: SFTPWrapper, root: string, context: Record<string, unknown>): Promise<string> {
  const wanted = root === '' ? '.' : root.length > 1 ? root.replace(/\/+$/, '') : root;
  const real = await call<string>((cb) => sftp.realpath(wanted, cb)).catch((err: unknown) => {
    if (sftpStatus(err) === STATUS.NO_SUCH_FILE) return undefined;
    throw err;
  });
  const stats =
    real === undefined ? undefined : await call<SftpStats>((cb) => sftp.stat(real, cb)).catch(() => undefined);
  if (real === undefined || stats === undefined || !stats.isDirectory()) {
    throw new UfsError(
      'CONFIG_INVALID',
      `${describeContext(context)} the remote root "${root || '(login folder)'}" ${stats ? 'is not a folder' : 'does not exist'}; create it first`,
      { context },
    );
  }
  return real;
}
