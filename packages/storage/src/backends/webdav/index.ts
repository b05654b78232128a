import type { Readable } from 'node:stream';
import {
  capabilities,
  type BackendCapabilities,
  type CopyOptions,
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
import { AuthType, createClient, type WebDAVClient } from 'webdav';
import { defineBackend } from '../../backend-definition.js';
import { keyContext } from '../../errors.js';
import { DEFAULT_TIMEOUT_MS, timeoutAgents } from '../../util/socket-timeouts.js';
import { ListingRest } from '../../util/listing-rest.js';
import { ufsError, webdavError } from './errors.js';
import type { Dav } from './folders.js';
import { deleteKey, listKey, mkdirKey, readKey, statKey, transfer } from './operations.js';
import { webdavOptionsFromUrl, webdavOptionsSchema, type WebdavOptions } from './options.js';
import { writeKey } from './writer.js';
import { blobLocation, serviceBase, withLocation } from '../../util/location.js';

type Source = Readable | AsyncIterable<Uint8Array>;

/** One path segment of a URL in Unicode NFC (re-encoded only when that changes it; a malformed escape as it is). */
function nfcSegment(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return segment;
  }
  const nfc = decoded.normalize('NFC');
  return nfc === decoded ? segment : encodeURIComponent(nfc);
}

/**
 * The mount URL with its path in Unicode NFC, as every key is (`normalizeKey`): a folder typed in NFD (`cafe\u0301`,
 * as macOS gives it) is the folder keys name (`caf\u00e9`), so two mounts of it typed either way are one storage
 * (`location`). A URL already in NFC is kept exactly as given.
 */
export function nfcUrl(url: string): string {
  const parsed = new URL(url);
  const path = parsed.pathname.split('/').map(nfcSegment).join('/');
  if (path === parsed.pathname) return url;
  parsed.pathname = path;
  return parsed.href;
}

function webdavCapabilities(options: WebdavOptions): BackendCapabilities {
  return capabilities({
    read: true,
    write: true,
    delete: true,
    list: true,
    // Only when the server is known to answer PROPFIND Depth: infinity (many refuse it).
    recursiveList: options.depthInfinity,
    range: true,
    // WebDAV has no append (PATCH/partial PUT are server-specific extensions).
    append: false,
    copy: true,
    rename: true,
    publicUrl: options.publicBaseUrl !== undefined,
    directories: true,
    // Temp upload + MOVE: a partial upload is never visible under the key (atomicWrites, the default).
    atomicWrite: options.atomicWrites,
    // MOVE with Overwrite: F is answered 412 by the server when the key exists (RFC 4918 §10.6).
    conditionalWrite: options.atomicWrites,
    // getlastmodified is a live property the server sets on each PUT; RFC 4918 has no way to set it (PROPPATCH of
    // it is refused), so a given modification time cannot be kept.
    setModified: false,
    // getlastmodified is an HTTP date: whole seconds.
    modifiedPrecisionMs: 1000,
  });
}

/** A mount on a WebDAV collection, through the `webdav` client (PROPFIND, GET with Range, PUT, MOVE, COPY, MKCOL). */
export class WebdavBackend implements StorageBackend {
  readonly protocol = 'webdav';
  readonly capabilities: BackendCapabilities;
  readonly #dav: Dav;
  readonly #mountName: string;
  readonly #publicBaseUrl: string | undefined;
  /** The mount's `url` (none with a ready `client`), named when its server does not speak TLS. */
  readonly #url: string | undefined;
  readonly #agents: { destroy(): void }[];
  readonly #digest: boolean;
  #authenticated: Promise<void> | undefined;

  constructor(dav: Dav, options: WebdavOptions, extra: { mountName: string; agents: { destroy(): void }[] }) {
    this.#dav = dav;
    this.#mountName = extra.mountName;
    this.#agents = extra.agents;
    this.#publicBaseUrl = options.publicBaseUrl?.replace(/\/+$/, '');
    this.#url = options.client === undefined ? options.url : undefined;
    this.#digest = options.authType !== 'basic' && options.username !== undefined && options.client === undefined;
    this.capabilities = webdavCapabilities(options);
    if (!this.#publicBaseUrl) this.publicUrl = undefined;
  }

  /**
   * Digest authentication (`digest`, or `auto` meeting a digest server) starts with a 401 challenge, and the
   * client would replay the first request to answer it: impossible for a streamed upload. One PROPFIND on the root
   * answers the challenge first; a 401 after it is reported as PERMISSION_DENIED.
   */
  #authenticate(context: ErrorContext): Promise<void> {
    if (!this.#digest) return Promise.resolve();
    this.#authenticated ??= (async () => {
      const response = await this.#dav.client.customRequest('/', { method: 'PROPFIND', headers: { Depth: '0' } });
      if (response.status === 401)
        throw ufsError('PERMISSION_DENIED', context, 'the server refused the credentials (digest)');
    })();
    const attempt = this.#authenticated;
    attempt.catch(() => {
      if (this.#authenticated === attempt) this.#authenticated = undefined;
    });
    return attempt;
  }

  async #run<T>(
    operation: string,
    path: string,
    signal: AbortSignal | undefined,
    fn: (context: ErrorContext) => Promise<T>,
  ): Promise<T> {
    const context: ErrorContext = keyContext({ mount: this.#mountName, protocol: 'webdav' }, operation, path);
    try {
      signal?.throwIfAborted();
      await this.#authenticate(context);
      return await fn(context);
    } catch (err) {
      throw webdavError(err, context, signal, this.#url);
    }
  }

  stat(key: string, options: { signal?: AbortSignal } = {}): Promise<EntryStat | null> {
    return this.#run('stat', key, options.signal, () => statKey(this.#dav, key, options.signal));
  }

  read(key: string, options: ReadOptions = {}): Promise<Readable> {
    return this.#run('read', key, options.signal, (c) => readKey(this.#dav, key, options, c));
  }

  write(key: string, source: Source, options: WriteOptions = {}): Promise<WriteResult> {
    return this.#run('write', key, options.signal, (c) => writeKey(this.#dav, key, source, options, c));
  }

  list(key: string, options: ListOptions = {}): Promise<ListPage> {
    return this.#run('list', key, options.signal, (c) => listKey(this.#dav, key, options, c));
  }

  delete(key: string, options: DeleteOptions = {}): Promise<void> {
    return this.#run('delete', key, options.signal, (c) => deleteKey(this.#dav, key, options, c));
  }

  mkdir(key: string, options: MkdirOptions = {}): Promise<void> {
    return this.#run('mkdir', key, undefined, (c) => mkdirKey(this.#dav, key, options, c));
  }

  /** Server-side COPY. User metadata is not kept by this backend, so `options.metadata` has nothing to replace. */
  copy(from: string, to: string, options: CopyOptions = {}): Promise<void> {
    return this.#run('copy', from, options.signal, (c) =>
      transfer(this.#dav, 'copy', from, to, { ...c, to }, options.signal),
    );
  }

  rename(from: string, to: string): Promise<void> {
    return this.#run('rename', from, undefined, (c) => transfer(this.#dav, 'move', from, to, { ...c, to }));
  }

  publicUrl?(key: string): string {
    return `${this.#publicBaseUrl}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async dispose(): Promise<void> {
    for (const agent of this.#agents) agent.destroy();
  }
}

const AUTH_TYPES = { basic: AuthType.Password, digest: AuthType.Digest, auto: AuthType.Auto } as const;

export default defineBackend({
  protocol: 'webdav',
  description: 'WebDAV collection (RFC 4918) through the webdav client: ranged GET, atomic PUT+MOVE, COPY, MKCOL',
  options: webdavOptionsSchema,
  fromUrl: webdavOptionsFromUrl,
  create(parsed, { mountName }) {
    const options = parsed.url === undefined ? parsed : { ...parsed, url: nfcUrl(parsed.url) };
    const agents: { destroy(): void }[] = [];
    let client: WebDAVClient;
    if (options.client) {
      client = options.client;
    } else {
      // Keep-alive agents whose sockets fail after connectTimeoutMs / timeoutMs (idle) instead of waiting forever.
      const { http: httpAgent, https: httpsAgent } = timeoutAgents({
        endpoint: new URL(options.url!).origin,
        connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
      agents.push(httpAgent, httpsAgent);
      client = createClient(options.url!, {
        username: options.username,
        password: options.password,
        authType: options.username === undefined ? AuthType.None : AUTH_TYPES[options.authType],
        headers: options.headers,
        httpAgent,
        httpsAgent,
      });
    }
    const dav: Dav = {
      client,
      atomicWrites: options.atomicWrites,
      depthInfinity: options.depthInfinity,
      rests: new ListingRest(),
      ...(options.url === undefined ? {} : { root: serviceBase('webdav', options.url) }),
    };
    const backend = new WebdavBackend(dav, options, { mountName, agents });
    // Two mounts of one server folder (one of them of a folder below, or its path typed in NFC and in NFD) are one
    // storage: `webdav://host/path/key`, the path decoded and in NFC (see `serviceBase`).
    if (options.url === undefined) return backend;
    const base = serviceBase('webdav', options.url);
    return withLocation(backend, (key) => blobLocation(base, undefined, key));
  },
});
