import { Readable } from 'node:stream';
import { Dropbox, DropboxResponseError } from 'dropbox';
import { fetch as undiciFetch } from 'undici';
import { UfsError, describeContext, httpError, toUfsError, type ErrorContext } from '@org/core';
import { checkedUrl, noUrlError, type DeleteContext, type SendContext, type SentUpload } from '../kit/define.js';
import { ChunkReader } from '../kit/chunks.js';
import { requestSignals, signalError, type RequestSignals } from '../http/signals.js';
import type { DropboxSettings } from '../providers/dropbox.js';

const DROPBOX_HOSTS = /^https:\/\/(?:api|content|notify)\.dropboxapi\.com/;

function client(settings: DropboxSettings): Dropbox {
  const base = settings.apiBaseUrl;
  // The SDK calls fetch with its own URLs; a base URL override sends them to another server (tests, proxies).
  const fetchImpl = (url: string, init: Record<string, unknown>) =>
    undiciFetch(base ? url.replace(DROPBOX_HOSTS, base) : url, init as never);
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

/** Maps SDK errors: HTTP status through the core classification with Dropbox's `error_summary` as detail. */
export function dropboxError(err: unknown, context: ErrorContext, signals?: RequestSignals): UfsError {
  const fired = signals && signalError(signals, context, err);
  if (fired) return fired;
  if (err instanceof DropboxResponseError) {
    const body = err.error as DropboxErrorBody | string | undefined;
    const summary = typeof body === 'string' ? body : (body?.error_summary ?? JSON.stringify(body ?? ''));
    const headers = err.headers as { get?: (name: string) => string | null } | undefined;
    const error = httpError(err.status, summary.slice(0, 300), context, headers?.get?.('retry-after'));
    if (err.status === 409 && /path\/conflict/.test(summary)) {
      return new UfsError('ALREADY_EXISTS', `${error.message} (use force to overwrite or unique for a new name)`, {
        context: error.context,
        retryable: false,
        cause: err,
      });
    }
    return error;
  }
  return toUfsError(err, context);
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

async function sendContents(
  dbx: Dropbox,
  path: string,
  settings: DropboxSettings,
  ctx: SendContext,
  signals: RequestSignals,
) {
  const mode = settings.force ? { '.tag': 'overwrite' as const } : { '.tag': 'add' as const };
  const commit = { path, mode, autorename: false, mute: true };
  const options = { ...(signals.signal ? { signal: signals.signal } : {}) };
  const size = ctx.source.size;
  if (size <= settings.sessionThreshold) {
    const res = await dbx.filesUpload({ ...commit, contents: body(ctx.bytes()) }, options);
    return res.result;
  }
  const reader = new ChunkReader(ctx.bytes());
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
  const dbx = client(settings);
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
    throw dropboxError(err, context, signals);
  }
}

export async function dropboxDelete(settings: DropboxSettings, path: string, ctx: DeleteContext): Promise<void> {
  const signals = requestSignals(ctx.signal, ctx.timeoutMs);
  try {
    await client(settings).filesDeleteV2({ path }, signals.signal ? { signal: signals.signal } : undefined);
  } catch (err) {
    throw dropboxError(err, { ...ctx.context, path }, signals);
  }
}
