import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { Readable } from 'node:stream';
import {
  capabilities,
  isUfsError,
  UfsError,
  type BackendCapabilities,
  type DeleteOptions,
  type EntryStat,
  type ErrorContext,
  type ListOptions,
  type ListPage,
  type MkdirOptions,
  type ReadOptions,
  type StorageBackend,
  type WriteOptions,
  type WriteResult,
} from '@org/core';
import { defineBackend } from '../../backend-definition.js';
import { keyContext } from '../../errors.js';
import { isThisMachine, type KeyLocation } from '../../util/location.js';
import { UINT32_SECONDS_RANGE } from '../../util/modified.js';
import { hostKeyBlob, SftpConnection, type Session } from './connection.js';
import { sftpError } from './errors.js';
import { listKey } from './list.js';
import { deleteKey, mkdirKey, readKey, renameKey, statKey } from './operations.js';
import { sftpOptionsFromUrl, sftpOptionsSchema, type SftpOptions } from './options.js';
import { asAsked, remotePath, spelledKey } from './paths.js';
import { untilAborted } from './waits.js';
import { appendFile, writeFile } from './writer.js';

type Source = Readable | AsyncIterable<Uint8Array>;

const SFTP_CAPABILITIES: BackendCapabilities = capabilities({
  read: true,
  write: true,
  delete: true,
  list: true,
  // SFTP lists one folder per request; a recursive listing is a client-side walk, so it is not native.
  recursiveList: false,
  range: true,
  append: true,
  // SFTP v3 (and ssh2) has no server-side copy; a copy would stream the bytes through this client.
  copy: false,
  rename: true,
  directories: true,
  // Temp file + fsync + posix-rename: readers never see a partial file.
  atomicWrite: true,
  // SSH_FXP_RENAME fails when the target exists (OpenSSH: link(2), atomic); see writer.ts.
  conditionalWrite: true,
  // fsetstat on the temporary file before the rename; SFTP v3 keeps whole seconds, as unsigned 32 bits: a time
  // before 1970 or after 2106-02-07 is not set (never wrapped), the file keeps the time of its writing.
  setModified: true,
  modifiedPrecisionMs: 1000,
  modifiedRange: UINT32_SECONDS_RANGE,
});

/** A mount on an SFTP server, through one lazily opened, self-healing SSH connection. */
export class SftpBackend implements StorageBackend {
  readonly protocol = 'sftp';
  readonly capabilities = SFTP_CAPABILITIES;
  readonly #connection: SftpConnection;
  readonly #mountName: string;
  readonly #fsync: boolean;
  /** Whether the server's host is this machine (asked once). */
  #local: Promise<boolean> | undefined;

  constructor(connection: SftpConnection, options: { mountName: string; fsync: boolean }) {
    this.#connection = connection;
    this.#mountName = options.mountName;
    this.#fsync = options.fsync;
  }

  /**
   * Runs one operation on the shared session. When the connection had silently died (or stalled for `timeoutMs`),
   * the first request fails with the session marked dead: operations that are safe to repeat then run once more on a
   * fresh connection. An abort settles the operation at once, the requests under way left to end by themselves;
   * `ownsAbort`: the operation settles on its signal by itself (writes, which first remove their temporary file).
   */
  async #run<T>(
    operation: string,
    path: string,
    fn: (session: Session, context: ErrorContext) => Promise<T>,
    options: { idempotent: boolean; signal?: AbortSignal; ownsAbort?: boolean },
  ): Promise<T> {
    const context: ErrorContext = keyContext({ mount: this.#mountName, protocol: 'sftp' }, operation, path);
    for (let attempt = 1; ; attempt++) {
      if (options.signal?.aborted) throw sftpError(options.signal.reason, context, false, options.signal);
      let session: Session;
      try {
        session = await untilAborted(this.#connection.session(), options.signal);
      } catch (err) {
        throw sftpError(err, context, false, options.signal);
      }
      try {
        const running = fn(session, context);
        return await (options.ownsAbort ? running : untilAborted(running, options.signal));
      } catch (err) {
        const lost = !session.alive;
        if (lost && attempt === 1 && options.idempotent && !isUfsError(err) && !options.signal?.aborted) continue;
        throw sftpError(err, context, lost, options.signal);
      }
    }
  }

  stat(key: string, options: { signal?: AbortSignal } = {}): Promise<EntryStat | null> {
    return this.#run(
      'stat',
      key,
      async (s, c) => {
        const spelled = await spelledKey(s, key);
        const entry = await statKey(s, spelled, c);
        return entry && asAsked(entry, spelled, key);
      },
      { idempotent: true, signal: options.signal },
    );
  }

  read(key: string, options: ReadOptions = {}): Promise<Readable> {
    return this.#run('read', key, async (s, c) => readKey(s, await spelledKey(s, key), options, c), {
      idempotent: true,
      signal: options.signal,
    });
  }

  write(key: string, source: Source, options: WriteOptions = {}): Promise<WriteResult> {
    return this.#run(
      'write',
      key,
      async (s, c) =>
        writeFile(s, await untilAborted(spelledKey(s, key), options.signal), source, options, this.#fsync, c),
      {
        idempotent: false,
        signal: options.signal,
        ownsAbort: true,
      },
    );
  }

  append(key: string, source: Source, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#run(
      'append',
      key,
      async (s, c) => appendFile(s, await untilAborted(spelledKey(s, key), options.signal), source, options.signal, c),
      {
        idempotent: false,
        signal: options.signal,
        ownsAbort: true,
      },
    );
  }

  list(key: string, options: ListOptions = {}): Promise<ListPage> {
    return this.#run(
      'list',
      key,
      async (s, c) => {
        const spelled = await spelledKey(s, key);
        const page = await listKey(s, spelled, options, c);
        for (const entry of page.entries) asAsked(entry, spelled, key);
        return page;
      },
      { idempotent: true, signal: options.signal },
    );
  }

  delete(key: string, options: DeleteOptions = {}): Promise<void> {
    return this.#run('delete', key, async (s, c) => deleteKey(s, await spelledKey(s, key), options, c), {
      idempotent: true,
      signal: options.signal,
    });
  }

  mkdir(key: string, options: MkdirOptions = {}): Promise<void> {
    return this.#run('mkdir', key, async (s, c) => mkdirKey(s, await spelledKey(s, key), options, c), {
      idempotent: true,
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.#run(
      'rename',
      from,
      async (s, c) => renameKey(s, await spelledKey(s, from), await spelledKey(s, to), { ...c, to }),
      { idempotent: false },
    );
  }

  /**
   * Where a key lives: `sftp://user@host:port/absolute/path`; on a host that is this machine, also the path it may
   * have here (two mounts of one folder, local and SFTP, are then recognised as one; see `copy/identity.ts`).
   */
  async location(key: string): Promise<KeyLocation> {
    const path = remotePath(await this.#connection.session(), key);
    this.#local ??= isThisMachine(this.#connection.host);
    const local = (await this.#local) ? path : undefined;
    return { url: `sftp://${this.#connection.target}${path}`, localCandidate: local };
  }

  dispose(): Promise<void> {
    return this.#connection.dispose();
  }
}

async function loadPrivateKey(options: SftpOptions, mountName: string): Promise<string | Buffer | undefined> {
  if (options.privateKey !== undefined) return options.privateKey;
  if (options.privateKeyPath === undefined) return undefined;
  const path = options.privateKeyPath.replace(/^~(?=$|\/)/, homedir());
  try {
    return await readFile(path);
  } catch (err) {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] mount "${mountName}": cannot read "privateKeyPath" ${JSON.stringify(path)}: ${(err as Error).message}`,
      { context: { backend: 'sftp', mount: mountName, operation: 'configure' }, cause: err },
    );
  }
}

export default defineBackend({
  protocol: 'sftp',
  description: 'SFTP server (SSH File Transfer Protocol) through ssh2-sftp-client, confined to a remote root folder',
  options: sftpOptionsSchema,
  fromUrl: sftpOptionsFromUrl,
  async create(options, { mountName }) {
    const connection = new SftpConnection({
      mountName,
      host: options.host,
      port: options.port,
      username: options.username,
      password: options.password,
      privateKey: await loadPrivateKey(options, mountName),
      passphrase: options.passphrase,
      root: options.root,
      timeoutMs: options.timeoutMs,
      readyTimeout: options.readyTimeout,
      keepaliveInterval: options.keepaliveInterval,
      fingerprints: options.hostFingerprint ?? [],
      hostKeys: (options.hostKey ?? []).map(hostKeyBlob),
      insecureSkipHostKeyCheck: options.insecureSkipHostKeyCheck,
    });
    return new SftpBackend(connection, { mountName, fsync: options.fsync });
  },
});
