import { stat } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { resolve } from 'node:path';
import {
  UfsError,
  describeContext,
  hashFile,
  hashStream,
  httpError,
  isErrorCode,
  isUfsError,
  toUfsError,
  type ErrorContext,
  type UploadSource,
} from '@org/core';
import { defineProvider, type SendContext } from '../kit/define.js';
import { parseDuration } from '../kit/expiry.js';
import { parseJson } from '../kit/http-upload.js';
import { multipartBody } from '../http/multipart.js';
import { header, httpStream, readText, excerpt, type HttpBody } from '../http/transport.js';
import { escapeControl } from '../http/service-text.js';
import { optionOrEnv, type Env } from '../env.js';
import { spoolOrigin } from '../source.js';
import type { ProviderCallOptions } from '../types.js';

/** The parts of a `put_file` answer (PutPlace `FileMetadataUploadResponse`) the provider relies on. */
interface PutFileAnswer {
  _id?: unknown;
  sha256?: unknown;
  upload_required?: unknown;
}

function apiKeyOf(options: ProviderCallOptions, env: Env): string | undefined {
  return optionOrEnv(options.apiKey, env, 'UFS_API_KEY');
}

/** A non-empty string option, trimmed. */
function stringOption(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** Longest lifetime the server gives a signed URL (`POST /files/{sha256}/share`): 30 days. */
const MAX_SHARE_MS = 30 * 86_400_000;

/**
 * `expire` as the `expires_in` (seconds) of the share request; undefined leaves the server's default (7 days).
 * Any duration (`30m`, `12h`, `7d`, …) up to 30 days; INVALID_INPUT otherwise.
 */
export function shareSeconds(expire: string | undefined): number | undefined {
  if (expire === undefined) return undefined;
  const ms = parseDuration(expire, 'ufs');
  if (ms > MAX_SHARE_MS) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] [ufs] expire ${JSON.stringify(expire)} is longer than the 30 days a signed ufs URL can live`,
      { context: { provider: 'ufs', operation: 'upload' }, retryable: false },
    );
  }
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Hashes per source, so the retries of one upload read the file once for its hash (the source is reused). */
const hashes = new WeakMap<UploadSource, Promise<string>>();

function sha256Of(source: UploadSource, signal: AbortSignal | undefined): Promise<string> {
  let pending = hashes.get(source);
  if (!pending) {
    pending = source.path
      ? hashFile(source.path, { signal }).then((r) => r.digest)
      : hashStream(source.open()).then((r) => r.digest);
    hashes.set(source, pending);
    pending.catch(() => hashes.delete(source));
  }
  return pending;
}

/**
 * The catalogue record sent with `put_file`: the file's own stat when it is a local file; for a spooled copy (stdin,
 * a /proc file) the stat of what it is a copy of, when one could be read, never the temporary file's.
 */
async function fileRecord(ctx: SendContext, sha256: string, filepath: string, hostname: string) {
  const origin = spoolOrigin(ctx.source.path);
  const info = origin ? origin.stat : ctx.source.path ? await stat(ctx.source.path) : undefined;
  const now = Date.now() / 1000;
  return {
    filepath,
    hostname,
    ip_address: '',
    sha256,
    file_size: ctx.source.size,
    file_mode: info?.mode ?? 0o100644,
    file_uid: info?.uid ?? 0,
    file_gid: info?.gid ?? 0,
    file_mtime: info ? info.mtimeMs / 1000 : now,
    file_atime: info ? info.atimeMs / 1000 : now,
    file_ctime: info ? info.ctimeMs / 1000 : now,
  };
}

interface ServerCall {
  url: string;
  method: 'POST' | 'PUT' | 'HEAD' | 'DELETE';
  key: string;
  headers?: Record<string, string>;
  body?: HttpBody;
  ctx: Pick<SendContext, 'signal' | 'timeoutMs' | 'idleTimeoutMs' | 'baseUrl'>;
  context: ErrorContext;
}

/**
 * One request to the server with `X-API-Key`. An error answer (`{"detail","code","retryable"}`) becomes a UfsError
 * with the server's detail and, when it names one, the server's code (e.g. `INTEGRITY`, `TOO_LARGE`); otherwise the
 * HTTP status decides (401/403 → PERMISSION_DENIED, 429/5xx retryable, `Retry-After` honoured).
 */
async function serverCall(call: ServerCall): Promise<{ status: number; text: string }> {
  const reply = await httpStream({
    url: call.url,
    method: call.method,
    headers: { 'x-api-key': call.key, accept: 'application/json', ...call.headers },
    ...(call.body !== undefined ? { body: call.body } : {}),
    signal: call.ctx.signal,
    timeoutMs: call.ctx.timeoutMs,
    idleTimeoutMs: call.ctx.idleTimeoutMs,
    context: call.context,
    // UFS_SERVER as configured (path included): the plain-HTTP advice gives it whole.
    configuredUrl: call.ctx.baseUrl,
  });
  const text = await readText(reply, call.context);
  if (reply.status < 300) return { status: reply.status, text };
  const answer = parseJson(text) as { detail?: unknown; code?: unknown; retryable?: unknown } | undefined;
  // The server's own words, control characters escaped as in every quoted answer (a terminal escape is not run).
  const detail =
    typeof answer?.detail === 'string' ? escapeControl(answer.detail.replace(/^\[ufs\]\s*/, '')) : excerpt(text);
  // A HEAD answer has no body: its refusal is said in words (a HEAD and `share` need the key's read scope).
  const said =
    detail ||
    (reply.status === 401
      ? 'the API key was refused'
      : reply.status === 403
        ? 'the API key may not do this (uploading through ufs needs the read and write scopes)'
        : '');
  const hint = reply.status === 401 ? ' (check UFS_API_KEY)' : '';
  const error = httpError(reply.status, `${said}${hint}`, call.context, header(reply.headers, 'retry-after'));
  if (!isErrorCode(answer?.code) || answer.code === error.code) throw error;
  throw new UfsError(answer.code, error.message, {
    context: error.context,
    retryable: typeof answer.retryable === 'boolean' ? answer.retryable : undefined,
    retryAfterMs: error.retryAfterMs,
  });
}

/** `POST /files/{sha256}/share`: an absolute signed URL of the content (no key needed) and its expiry. */
async function share(ctx: SendContext, key: string, sha256: string): Promise<{ url: string; expiresAt: Date }> {
  const expiresIn = shareSeconds(ctx.options.expire);
  const shared = await serverCall({
    url: `${ctx.baseUrl}/files/${sha256}/share`,
    method: 'POST',
    key,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(expiresIn === undefined ? {} : { expires_in: expiresIn }),
    ctx,
    context: { ...ctx.context, operation: 'upload (share)' },
  });
  const answer = parseJson(shared.text) as { url?: unknown; expires_at?: unknown } | undefined;
  const expiresAt = typeof answer?.expires_at === 'string' ? new Date(answer.expires_at) : undefined;
  if (
    typeof answer?.url !== 'string' ||
    !answer.url.startsWith(`/files/${sha256}/content?`) ||
    !expiresAt ||
    Number.isNaN(expiresAt.getTime())
  ) {
    throw new UfsError(
      'UNEXPECTED',
      `${describeContext(ctx.context)} share answered HTTP ${shared.status} without a signed URL of ${sha256} (is the server older than signed URLs?): ${JSON.stringify(excerpt(shared.text))}`,
      { context: { ...ctx.context, status: shared.status }, retryable: false },
    );
  }
  return { url: `${ctx.baseUrl}${answer.url}`, expiresAt };
}

/** `HEAD /files/{sha256}/content`: whether the server holds verified content of the hash (the empty content always). */
async function contentHeld(ctx: SendContext, key: string, sha256: string): Promise<boolean> {
  if (ctx.source.size === 0) return true;
  try {
    await serverCall({
      url: `${ctx.baseUrl}/files/${sha256}/content`,
      method: 'HEAD',
      key,
      ctx,
      context: { ...ctx.context, operation: 'upload (content check)' },
    });
    return true;
  } catch (err) {
    if (isUfsError(err) && err.code === 'NOT_FOUND') return false;
    throw err;
  }
}

/** `PUT /files/{sha256}/content`: the content by its hash, as a raw streamed body, before any record names it. */
async function putContent(ctx: SendContext, key: string, sha256: string): Promise<void> {
  const sent = await serverCall({
    url: `${ctx.baseUrl}/files/${sha256}/content`,
    method: 'PUT',
    key,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(ctx.source.size) },
    body: ctx.bytes({ reuseBuffers: true }),
    ctx,
    context: { ...ctx.context, operation: 'upload (content)' },
  });
  const answer = parseJson(sent.text) as { sha256?: unknown } | undefined;
  if (answer?.sha256 !== sha256) {
    throw new UfsError(
      'UNEXPECTED',
      `${describeContext(ctx.context)} PUT content answered HTTP ${sent.status} without confirming ${sha256}: ${JSON.stringify(excerpt(sent.text))}`,
      { context: { ...ctx.context, status: sent.status }, retryable: false },
    );
  }
}

/** `POST /upload_file/{sha256}`: the content of the record just put (multipart field `file`, streamed). */
async function uploadFileContent(
  ctx: SendContext,
  key: string,
  sha256: string,
  hostname: string,
  filepath: string,
): Promise<void> {
  const form = multipartBody([], {
    field: 'file',
    filename: ctx.source.filename,
    contentType: ctx.source.contentType ?? 'application/octet-stream',
    size: ctx.source.size,
    bytes: ctx.bytes({ reuseBuffers: true }),
  });
  const query = new URLSearchParams({ hostname, filepath });
  const uploaded = await serverCall({
    url: `${ctx.baseUrl}/upload_file/${sha256}?${query}`,
    method: 'POST',
    key,
    headers: { 'content-type': form.contentType, 'content-length': String(form.contentLength) },
    body: form.body,
    ctx,
    context: { ...ctx.context, operation: 'upload (upload_file)' },
  });
  const answer = parseJson(uploaded.text) as { sha256?: unknown } | undefined;
  if (answer?.sha256 !== sha256) {
    throw new UfsError(
      'UNEXPECTED',
      `${describeContext(ctx.context)} upload_file answered HTTP ${uploaded.status} without confirming ${sha256}: ${JSON.stringify(excerpt(uploaded.text))}`,
      { context: { ...ctx.context, status: uploaded.status }, retryable: false },
    );
  }
}

/**
 * `share` of content just put (or found held): no record refers to it yet, so a gc of the server between the two
 * (with a grace period shorter than the upload, 0 at the extreme) may have removed it, and share answers that it
 * holds no such content (404). The content is then put again, once, and shared again; should it be gone again, the
 * error says so (the server's gc grace period is too short for uploads to finish).
 */
async function shareHeld(ctx: SendContext, key: string, sha256: string): Promise<{ url: string; expiresAt: Date }> {
  try {
    return await share(ctx, key, sha256);
  } catch (err) {
    if (!isGone(err)) throw err;
  }
  await putContent(ctx, key, sha256);
  try {
    return await share(ctx, key, sha256);
  } catch (err) {
    if (!isGone(err)) throw err;
    throw new UfsError(
      'UNAVAILABLE',
      `${err.message} (the content was removed twice between its upload and its share: the server's gc grace period, UFS_GC_GRACE_SECONDS, is shorter than an upload takes)`,
      { context: err.context, cause: err, retryable: true },
    );
  }
}

/** The server's answer that it holds no (verified) content of the hash. */
function isGone(err: unknown): err is UfsError {
  return isUfsError(err) && err.code === 'NOT_FOUND' && err.context.status === 404;
}

/**
 * Content first, record last: the record of (hostname, filepath) is replaced only once the server holds the content
 * and its signed URL is made, so an upload that fails (over the server's size limit, bad bytes, a share refused)
 * leaves the catalogue as it was — the path's earlier record, and the content and links it keeps alive, untouched.
 * Content put without a record is kept for the server's gc grace period (then removed if nothing refers to it; if
 * that happens before the share, see `shareHeld`). This needs no undo, so no race with another client updating the
 * same path (a restore could overwrite its record). Once the record is put, the upload is not undone either: a
 * failed verification keeps it (`keepOnFailure`).
 */
async function send(ctx: SendContext) {
  const key = apiKeyOf(ctx.options, ctx.env) ?? '';
  shareSeconds(ctx.options.expire); // a bad expire fails before anything is sent
  const hostname = stringOption(ctx.options.hostname) ?? osHostname();
  const origin = spoolOrigin(ctx.source.path);
  const filepath =
    stringOption(ctx.options.filepath) ??
    (origin ? origin.filepath : ctx.source.path ? resolve(ctx.source.path) : ctx.source.filename);
  const sha256 = await sha256Of(ctx.source, ctx.signal);

  const held = await contentHeld(ctx, key, sha256);
  if (held) {
    // The server already holds these bytes (dedup): nothing to send.
    ctx.progress(ctx.source.size);
  } else {
    await putContent(ctx, key, sha256);
  }
  const { url, expiresAt } = await shareHeld(ctx, key, sha256);

  const put = await serverCall({
    url: `${ctx.baseUrl}/put_file`,
    method: 'POST',
    key,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(await fileRecord(ctx, sha256, filepath, hostname)),
    ctx,
    context: { ...ctx.context, operation: 'upload (put_file)' },
  });
  const record = parseJson(put.text) as PutFileAnswer | undefined;
  if (typeof record?._id !== 'string' || record.sha256 !== sha256 || typeof record.upload_required !== 'boolean') {
    throw new UfsError(
      'UNEXPECTED',
      `${describeContext(ctx.context)} put_file answered HTTP ${put.status} without the record of ${sha256}, so no URL can be made: ${JSON.stringify(excerpt(put.text))}`,
      { context: { ...ctx.context, status: put.status }, retryable: false },
    );
  }
  if (record.upload_required) {
    // The content went in between (unreferenced content older than the gc grace period, collected meanwhile): the
    // record is in place now, so its content is uploaded for it. Should that fail, the record stays without content.
    try {
      await uploadFileContent(ctx, key, sha256, hostname, filepath);
    } catch (err) {
      const error = toUfsError(err, ctx.context);
      throw new UfsError(
        error.code,
        `${error.message}; the server's record of ${hostname}:${filepath} (${record._id}) was already replaced by this upload's and is left without content (its content was removed while the record was put): upload the file again, or delete that record`,
        { context: { ...error.context, recordId: record._id }, cause: err, retryable: error.retryable },
      );
    }
  }
  return { url, expiresAt, deleteToken: record._id };
}

/**
 * A ufs dedup server (`@org/server`, PutPlace API), over HTTP only: the file is hashed (SHA-256, streaming); unless
 * the server already holds those bytes (`HEAD /files/{sha256}/content`: dedup, nothing sent) the content is sent by
 * its hash (`PUT /files/{sha256}/content`, raw body, streamed); `POST /files/{sha256}/share` (with `expires_in` from
 * `expire`, any duration up to 30 days; server default 7 days) answers a signed URL
 * `/files/{sha256}/content?expires=&signature=`; last, its record is sent with `POST /put_file` (hostname, filepath,
 * size, mode, owner, times), so a failed upload leaves the catalogue as it was. The result is the signed URL made
 * absolute, which serves the bytes to anyone with the link (no key) until `expiresAt`. Delete removes the record (`DELETE /files/{id}`); the content
 * goes at the server's next gc when no other record refers to it (the link then answers 404). The orchestrator does
 * not delete the record after a failed verification (`keepOnFailure`): it describes the file truly.
 */
export default defineProvider({
  info: {
    id: 'ufs',
    name: 'ufs dedup server',
    retention:
      "signed link: 7 days by default, expire up to 30 days; content: until the record is deleted and the server's next gc",
    expiryChoices: ['1h', '12h', '24h', '72h', '7d', '30d'],
    auth: 'required',
    env: ['UFS_SERVER', 'UFS_API_KEY'],
    capabilities: { expiry: true, singleDownload: false, delete: true, streaming: true },
  },
  baseUrl: { env: 'UFS_SERVER', default: '' },
  status(env, options) {
    const server = optionOrEnv(options.baseUrl, env, 'UFS_SERVER');
    if (!server) {
      return {
        ready: false,
        reason: 'UFS_SERVER is not set',
        help: 'export UFS_SERVER=<base URL of the ufs server, e.g. http://127.0.0.1:8000> and UFS_API_KEY',
      };
    }
    if (!apiKeyOf(options, env)) {
      return {
        ready: false,
        reason: 'UFS_API_KEY is not set',
        help: 'create a key with `ufs server key create` (or POST /api_keys) and export UFS_API_KEY=<key>',
      };
    }
    return { ready: true };
  },
  send,
  // A failed verification is a failure to serve the signed link, not a wrong record: the server holds the content,
  // checked against its SHA-256, and the record (which already replaced the path's earlier one) describes the file
  // truly. Deleting it would leave the path with no record at all; it is kept, and its id reported (deleteToken).
  // Only then: the record of a file that changed while it was uploaded describes a version no longer on disk, and the
  // orchestrator deletes it (DELETE /files/{id}) as it deletes every provider's copy.
  keepOnFailure:
    "the server's record of the file is kept: it describes the file truly (the server holds its content, checked against its SHA-256) and replaced the path's earlier record, so deleting it would leave the path with none; only the signed link failed",
  async delete(result, ctx) {
    const id = result.deleteToken;
    if (!id) {
      throw new UfsError('INVALID_INPUT', `${describeContext(ctx.context)} no record id was kept for this upload`, {
        context: ctx.context,
      });
    }
    await serverCall({
      url: `${ctx.baseUrl}/files/${encodeURIComponent(id)}`,
      method: 'DELETE',
      key: apiKeyOf(ctx.options, ctx.env) ?? '',
      ctx,
      context: ctx.context,
    });
  },
});
