import { Readable } from 'node:stream';
import {
  capabilities,
  describeContext,
  httpError,
  normalizeKey,
  UfsError,
  type EntryStat,
  type ErrorContext,
  type ListPage,
  type ReadOptions,
  type StorageBackend,
  type WriteResult,
} from '@org/core';
import { configInvalid, keyContext } from '../../errors.js';
import { baseCredentials, credentialsProblem } from './credentials.js';
import { timedFetch, type FetchFunction, type TimedResponse } from './fetch-stream.js';
import { parseContentRange, rangeHeader, rangeLength, requestedRange } from './range.js';
import { folderEntry } from '../../util/entries.js';

export const PROTOCOL = 'http';

export interface HttpBackendOptions {
  /** May hold `user:password@`: sent as HTTP Basic auth, never in a requested or shown URL. */
  baseUrl: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** What to do when a server answers a ranged GET with the whole file (200): skip bytes client-side, or fail. */
  ignoredRange: 'skip' | 'fail';
  /** A fetch implementation (tests, proxies); default the global fetch. */
  fetch?: FetchFunction;
}

/** The base URL as a folder (trailing slash), without fragment. */
export function folderUrl(raw: string | URL): URL {
  const url = new URL(raw);
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/**
 * Read-only files over HTTP(S): `stat` by HEAD (falling back to a one-byte ranged GET when HEAD is refused),
 * `read` by GET with `Range`, public URLs. Keys are percent-encoded segment by segment and resolved below
 * `baseUrl`, whose query string (e.g. a token) is kept on every URL. Its `user:password@`, percent-decoded, is sent
 * as `Authorization: Basic` (which fetch drops on a redirect to another origin) and left out of every URL;
 * CONFIG_INVALID when `headers` has an `Authorization` too.
 */
export function createHttpBackend(options: HttpBackendOptions, mountName = PROTOCOL): StorageBackend {
  const problem = credentialsProblem(options.baseUrl, options.headers);
  if (problem) throw configInvalid(mountName, `"${problem.path.join('.')}": ${problem.message}`);
  const credentials = baseCredentials(options.baseUrl);
  const base = folderUrl(credentials.url);
  const configured = credentials.authorization
    ? { ...options.headers, authorization: credentials.authorization }
    : options.headers;
  // The address as errors name it (no TLS at an https:// baseUrl): without the user info.
  const address = { url: credentials.url.href, option: 'baseUrl' };
  const baseQuery = base.search;
  const basePath = base.pathname;
  const ctx = (operation: string, key: string): ErrorContext =>
    keyContext({ mount: mountName, protocol: PROTOCOL }, operation, key);

  function urlOf(key: string, operation: string): URL {
    let valid = false;
    try {
      valid = normalizeKey(key) === key;
    } catch {
      valid = false;
    }
    const url = new URL(key.split('/').map(encodeURIComponent).join('/'), base);
    url.search = baseQuery;
    if (!valid || url.origin !== base.origin || !url.pathname.startsWith(basePath)) {
      throw new UfsError('INVALID_INPUT', `${describeContext(ctx(operation, key))} not a normalised key`, {
        context: ctx(operation, key),
      });
    }
    return url;
  }

  async function send(
    method: 'GET' | 'HEAD',
    url: URL,
    extra: Record<string, string>,
    context: ErrorContext,
    signal?: AbortSignal,
  ): Promise<TimedResponse> {
    // identity: a content-coded answer would be decoded by fetch, and byte ranges would no longer match (fetch
    // itself adds `accept-encoding: identity` to ranged requests).
    const headers = { ...configured, ...(extra.range ? {} : { 'accept-encoding': 'identity' }), ...extra };
    return timedFetch(
      url,
      { method, headers, redirect: 'follow' },
      {
        timeoutMs: options.timeoutMs,
        signal,
        fetch: options.fetch,
        context,
        urlOption: 'baseUrl',
        address,
      },
    );
  }

  function failed(answer: TimedResponse, context: ErrorContext): UfsError {
    answer.discard();
    const { status, statusText, headers } = answer.response;
    return httpError(status, statusText, context, headers.get('retry-after'));
  }

  function statFrom(key: string, headers: Headers, size: number): EntryStat {
    const modified = headers.get('last-modified');
    const mtime = modified ? new Date(modified) : undefined;
    return {
      key,
      isFile: true,
      isDir: false,
      size,
      mtime: mtime && !Number.isNaN(mtime.getTime()) ? mtime : undefined,
      etag: headers.get('etag') ?? undefined,
      contentType: headers.get('content-type') ?? undefined,
      cacheControl: headers.get('cache-control') ?? undefined,
    };
  }

  function lengthOf(headers: Headers): number | undefined {
    const raw = headers.get('content-length');
    return raw !== null && /^\d+$/.test(raw.trim()) ? Number(raw) : undefined;
  }

  /** `GET` with `Range: bytes=0-0`: learns the size from `Content-Range` where HEAD is refused or sizeless. */
  async function probe(key: string, url: URL, context: ErrorContext, signal?: AbortSignal): Promise<EntryStat | null> {
    const answer = await send('GET', url, { range: 'bytes=0-0' }, context, signal);
    const { status, headers } = answer.response;
    if (status === 404 || status === 410) {
      answer.discard();
      return null;
    }
    let size: number | undefined;
    if (status === 206 || status === 416) size = parseContentRange(headers.get('content-range'))?.total;
    else if (status === 200) size = lengthOf(headers);
    else throw failed(answer, context);
    answer.discard();
    if (size === undefined) {
      throw new UfsError('UNSUPPORTED', `${describeContext(context)} the server reports no size for this URL`, {
        context,
      });
    }
    return statFrom(key, headers, size);
  }

  function refuse(operation: string, path: string, why: string): never {
    throw new UfsError('UNSUPPORTED', `${describeContext(ctx(operation, path))} ${why}`, {
      context: ctx(operation, path),
    });
  }
  const readOnly = 'http mounts are read-only';

  return {
    protocol: PROTOCOL,
    // Read-only: nothing is written, so no modification time can be kept (setModified false). Last-Modified is an
    // HTTP date: whole seconds.
    capabilities: capabilities({
      read: true,
      range: true,
      publicUrl: true,
      setModified: false,
      modifiedPrecisionMs: 1000,
    }),

    async stat(key, statOptions = {}): Promise<EntryStat | null> {
      if (key === '') return folderEntry(key);
      const context = ctx('stat', key);
      const url = urlOf(key, 'stat');
      if (statOptions.versionId !== undefined) refuse('stat', key, 'http has no versions');
      const answer = await send('HEAD', url, {}, context, statOptions.signal);
      const { status, headers } = answer.response;
      answer.discard();
      if (status === 404 || status === 410) return null;
      // HEAD refused: not allowed (405/501), or forbidden (403: URLs signed for GET only, e.g. presigned S3 URLs).
      if (status === 405 || status === 501 || status === 403) return probe(key, url, context, statOptions.signal);
      if (status < 200 || status >= 300) throw failed(answer, context);
      const size = lengthOf(headers);
      return size === undefined ? probe(key, url, context, statOptions.signal) : statFrom(key, headers, size);
    },

    async read(key, readOptions: ReadOptions = {}): Promise<Readable> {
      const context = ctx('read', key);
      if (key === '') {
        throw new UfsError('INVALID_INPUT', `${describeContext(context)} the mount root is a folder`, { context });
      }
      const url = urlOf(key, 'read');
      if (readOptions.versionId !== undefined) refuse('read', key, 'http has no versions');
      const range = requestedRange(readOptions, context);
      const answer = await send('GET', url, range ? { range: rangeHeader(range) } : {}, context, readOptions.signal);
      const { status, headers } = answer.response;
      if (status === 404 || status === 410) {
        answer.discard();
        throw new UfsError('NOT_FOUND', `${describeContext(context)} HTTP ${status} for ${url.href}`, {
          context: { ...context, status },
        });
      }
      if (range && status === 416) {
        // The range starts past the end: nothing to read (like fs.createReadStream).
        answer.discard();
        return Readable.from([]);
      }
      if (status === 206 && range) {
        const answered = parseContentRange(headers.get('content-range'));
        const first = answered?.start;
        if (first === undefined || first > range.start) {
          answer.discard();
          throw new UfsError(
            'UNEXPECTED',
            `${describeContext(context)} asked bytes ${range.start}-, got "${headers.get('content-range')}"`,
            {
              context,
            },
          );
        }
        return answer.body({ skip: range.start - first, limit: rangeLength(range) });
      }
      if (status === 200 && range) {
        if (options.ignoredRange === 'fail') {
          answer.discard();
          throw new UfsError('UNSUPPORTED', `${describeContext(context)} the server ignored the Range header`, {
            context,
          });
        }
        return answer.body({ skip: range.start, limit: rangeLength(range) });
      }
      if (status >= 200 && status < 300) return answer.body();
      throw failed(answer, context);
    },

    publicUrl(key: string): string {
      return urlOf(key, 'publicUrl').href;
    },

    async write(key): Promise<WriteResult> {
      refuse('write', key, readOnly);
    },
    async list(key): Promise<ListPage> {
      refuse('list', key, 'http has no listing (index pages are not parsed)');
    },
    async delete(key): Promise<void> {
      refuse('delete', key, readOnly);
    },
    async mkdir(key): Promise<void> {
      refuse('mkdir', key, readOnly);
    },
  };
}
