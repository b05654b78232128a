import { Readable } from 'node:stream';
import { Dropbox, DropboxResponseError } from 'dropbox';
import {
  DropboxContentHash,
  UfsError,
  classifyDropboxSummary,
  dropboxErrorSummary,
  describeContext,
  toUfsError,
  type ErrorContext,
} from '@org/core';
import { checkedUrl, noUrlError, type DeleteContext, type SendContext, type SentUpload } from '../kit/define.js';
import { ChunkReader } from '../kit/chunks.js';
import { requestSignals, signalError, type RequestSignals } from '../http/signals.js';
import { plainHttpError, serviceHttpError } from '../http/transport.js';
import { contentHashOf, hashedAsSent } from './dropbox-content-hash.js';
import { idleFetch, idleTimeoutError, idleTimeoutOf } from './idle-timeout.js';
import type { DropboxSettings } from '../providers/dropbox.js';

const DROPBOX_HOSTS = /^https:\/\/(?:api|content|notify)\.dropboxapi\.com/;

/** A client whose every request (token refresh included) has the idle timeout, as the HTTP providers' have. */
function client(settings: DropboxSettings, idleTimeoutMs: number): Dropbox {
  const base = settings.apiBaseUrl;
  // The SDK calls fetch with its own URLs; a base URL override sends them to another server (tests, proxies).
  const fetchImpl = idleFetch(idleTimeoutMs, (url) => (base ? url.replace(DROPBOX_HOSTS, base) : url));
  return new Dropbox({
    ...(settings.accessToken ? { accessToken: settings.accessToken } : {}),
    ...(settings.refreshToken ? { refreshToken: settings.refreshToken } : {}),
    ...(settings.appKey ? { clientId: settings.appKey } : {}),
    ...(settings.appSecret ? { clientSecret: settings.appSecret } : {}),
    fetch: fetchImpl as never,
  });
}

interface DropboxErrorBody {
  error_summary?: string;
  error?: unknown;
}

/** What a user can do about some route errors, added to the message. */
const ROUTE_HINTS: Array<[RegExp, string]> = [
  [/(^|\/)conflict(\/|$)/, ' (use force to overwrite or unique for a new name)'],
  [/insufficient_space|insufficient_quota/, ' (the Dropbox account has not enough space left)'],
];

function summaryOf(err: DropboxResponseError<unknown>): string {
  return dropboxErrorSummary(err.error) || JSON.stringify(err.error ?? '');
}

/** True for a Dropbox route error whose `error_summary` matches. */
function hasSummary(err: unknown, pattern: RegExp): err is DropboxResponseError<unknown> {
  return err instanceof DropboxResponseError && err.status === 409 && pattern.test(summaryOf(err));
}

/**
 * Maps SDK errors: a 409 route error by its `error_summary` (kept in the message), any other status through the
 * hosting classification (429/5xx retryable, `Retry-After` honoured). An `https://` base URL (`apiBaseUrl`) whose
 * server answers in plain HTTP is said to be one (CONFIG_INVALID), not OpenSSL's `wrong version number`.
 */
export function dropboxError(
  err: unknown,
  context: ErrorContext,
  signals?: RequestSignals,
  idleTimeoutMs?: number,
  apiBaseUrl?: string,
): UfsError {
  const fired = signals && signalError(signals, context, err);
  if (fired) return fired;
  const idle = signals && idleTimeoutError(err, signals, context, idleTimeoutOf(idleTimeoutMs));
  if (idle) return idle;
  const plain = apiBaseUrl !== undefined ? plainHttpError(err, apiBaseUrl, context) : undefined;
  if (plain) return plain;
  if (!(err instanceof DropboxResponseError)) return toUfsError(err, context);
  const summary = summaryOf(err).slice(0, 300);
  const headers = err.headers as { get?: (name: string) => string | null } | undefined;
  const error = serviceHttpError(err.status, summary, context, headers?.get?.('retry-after'));
  if (err.status !== 409) return error;
  const { code, retryable } = classifyDropboxSummary(summary);
  const hint = ROUTE_HINTS.find(([pattern]) => pattern.test(summary))?.[1] ?? '';
  return new UfsError(code, `${error.message}${hint}`, {
    context: error.context,
    retryable,
    cause: err,
    retryAfterMs: error.retryAfterMs,
  });
}

/** `?dl=0` (or none) → `dl=1`: the link downloads the file instead of showing a preview page. */
export function directDownload(sharedUrl: string): string {
  const url = new URL(sharedUrl);
  url.searchParams.set('dl', '1');
  return url.href;
}

function body(piece: AsyncIterable<Uint8Array>): Readable {
  return Readable.from(piece, { objectMode: false });
}

type FileMetadata = Awaited<ReturnType<Dropbox['filesUpload']>>['result'];

async function sendContents(
  dbx: Dropbox,
  path: string,
  settings: DropboxSettings,
  ctx: SendContext,
  signals: RequestSignals,
): Promise<FileMetadata> {
  const mode = settings.force ? { '.tag': 'overwrite' as const } : { '.tag': 'add' as const };
  const commit = { path, mode, autorename: false, mute: true };
  const options = { ...(signals.signal ? { signal: signals.signal } : {}) };
  const size = ctx.source.size;
  // Dropbox's content_hash of what is sent, computed on the way (see `alreadyThere`).
  const hash = new DropboxContentHash();
  const bytes = hashedAsSent(ctx.bytes(), hash);
  try {
    if (size <= settings.sessionThreshold) {
      const res = await dbx.filesUpload({ ...commit, contents: body(bytes) }, options);
      return res.result;
    }
    const reader = new ChunkReader(bytes);
    try {
      const first = Math.min(settings.chunkSize, size);
      const start = await dbx.filesUploadSessionStart({ close: false, contents: body(reader.piece(first)) }, options);
      const sessionId = start.result.session_id;
      let offset = first;
      while (size - offset > settings.chunkSize) {
        await dbx.filesUploadSessionAppendV2(
          { cursor: { session_id: sessionId, offset }, close: false, contents: body(reader.piece(settings.chunkSize)) },
          options,
        );
        offset += settings.chunkSize;
      }
      const finish = await dbx.filesUploadSessionFinish(
        { cursor: { session_id: sessionId, offset }, commit, contents: body(reader.piece(size - offset)) },
        options,
      );
      return finish.result;
    } finally {
      await reader.close();
    }
  } catch (err) {
    if (settings.force || !hasSummary(err, /(^|\/)conflict\/file/)) throw err;
    const existing = await alreadyThere(dbx, path, ctx, hash, options);
    if (existing) return existing;
    throw err;
  }
}

/**
 * After `path/conflict/file`: the file at `path` when it holds exactly our bytes (same size and content_hash), e.g.
 * stored by an earlier attempt whose answer was lost; else undefined (a real clash).
 */
async function alreadyThere(
  dbx: Dropbox,
  path: string,
  ctx: SendContext,
  sent: DropboxContentHash,
  options: { signal?: AbortSignal },
): Promise<FileMetadata | undefined> {
  const { result } = await dbx.filesGetMetadata({ path }, options);
  if (result['.tag'] !== 'file' || result.size !== ctx.source.size || !result.content_hash) return undefined;
  // The request body may not have been read to its end before the answer: then hash the file again.
  const ours = sent.bytes === ctx.source.size ? sent.digest() : await contentHashOf(ctx.source.open());
  return ours === result.content_hash ? result : undefined;
}

async function sharedLink(dbx: Dropbox, path: string, signals: RequestSignals, context: ErrorContext): Promise<string> {
  const options = { ...(signals.signal ? { signal: signals.signal } : {}) };
  try {
    const res = await dbx.sharingCreateSharedLinkWithSettings({ path }, options);
    const url = checkedUrl(res.result.url);
    if (!url) throw noUrlError(context, res.status, JSON.stringify(res.result));
    return url;
  } catch (err) {
    const summary =
      err instanceof DropboxResponseError ? String((err.error as DropboxErrorBody)?.error_summary ?? '') : '';
    if (!(
      err instanceof DropboxResponseError &&
      err.status === 409 &&
      summary.startsWith('shared_link_already_exists')
    ))
      throw err;
  }
  const list = await dbx.sharingListSharedLinks({ path, direct_only: true }, options);
  const url = checkedUrl(list.result.links[0]?.url);
  if (!url) throw noUrlError(context, list.status, JSON.stringify(list.result));
  return url;
}

/** Uploads (single request or session), then makes a direct-download shared link. */
export async function dropboxUpload(settings: DropboxSettings, path: string, ctx: SendContext): Promise<SentUpload> {
  const context = { ...ctx.context, path };
  const signals = requestSignals(ctx.signal, ctx.timeoutMs);
  const idleTimeoutMs = idleTimeoutOf(ctx.idleTimeoutMs);
  const dbx = client(settings, idleTimeoutMs);
  try {
    const metadata = await sendContents(dbx, path, settings, ctx, signals);
    if (metadata.size !== ctx.source.size) {
      throw new UfsError(
        'INTEGRITY',
        `${describeContext(context)} Dropbox stored ${metadata.size} bytes, expected ${ctx.source.size}`,
        {
          context,
          retryable: false,
        },
      );
    }
    const stored = metadata.path_display ?? path;
    const link = await sharedLink(dbx, metadata.path_lower ?? stored, signals, context);
    return { url: directDownload(link), deleteToken: stored };
  } catch (err) {
    throw dropboxError(err, context, signals, idleTimeoutMs, settings.apiBaseUrl);
  }
}

export async function dropboxDelete(settings: DropboxSettings, path: string, ctx: DeleteContext): Promise<void> {
  const signals = requestSignals(ctx.signal, ctx.timeoutMs);
  const idleTimeoutMs = idleTimeoutOf(ctx.idleTimeoutMs);
  try {
    await client(settings, idleTimeoutMs).filesDeleteV2(
      { path },
      signals.signal ? { signal: signals.signal } : undefined,
    );
  } catch (err) {
    throw dropboxError(err, { ...ctx.context, path }, signals, idleTimeoutMs, settings.apiBaseUrl);
  }
}
