import { createHash } from 'node:crypto';
import { describeContext, UfsError, type ErrorContext } from '@org/core';
import { Dropbox, DropboxAuth } from 'dropbox';
import { timedFetch, type FetchFunction, type TimedResponse } from '../http/fetch-stream.js';
import { collectBytes } from '../../util/streams.js';
import { dropboxError, noteRedirectedFailure } from './errors.js';

export interface Credentials {
  accessToken?: string;
  refreshToken?: string;
  appKey?: string;
  appSecret?: string;
}

export interface DropboxClient {
  readonly sdk: Dropbox;
  readonly auth: DropboxAuth;
  readonly fetch: FetchFunction;
  /**
   * Which Dropbox account the client reaches, for telling two mounts of one account apart from two accounts (see
   * `DropboxBackend.location`): `<api host>/account:<account id>` from `users/get_current_account`, or when that
   * cannot be asked (an app without the `account_info.read` scope, a failure) `<api host>/token:<hash>`, a SHA-256 of
   * the credential (never the credential itself). Asked once.
   */
  account(): Promise<string>;
}

/**
 * A fetch that sends `https://<host>.dropboxapi.com/<path>` to `<apiBaseUrl>/<host>.dropboxapi.com/<path>`
 * (tests point it at a local fake; the host stays visible so the fake can check each route's host). A request it
 * sends that fails is noted with the URL it went to, so a port fetch refuses, or an `https://` base whose server does
 * not speak TLS, is reported naming `apiBaseUrl`.
 */
export function redirectingFetch(apiBaseUrl: string, inner: FetchFunction): FetchFunction {
  const base = apiBaseUrl.replace(/\/+$/, '');
  return (input, init) => {
    const url = typeof input === 'string' ? input : input.href;
    const match = /^https:\/\/([a-z0-9-]+\.dropboxapi\.com)(\/.*)$/.exec(url);
    const target = match ? `${base}/${match[1]}${match[2]}` : url;
    return inner(target, init).catch((err: unknown) => {
      noteRedirectedFailure(err, target, apiBaseUrl);
      throw err;
    });
  };
}

/**
 * Bytes of a failed answer's body read at most: a Dropbox error is a small JSON (`error_summary`, `error`) or a line
 * of text; what a misbehaving server or proxy sends beyond this (a huge or endless body) is never buffered.
 */
export const ERROR_BODY_LIMIT = 64 * 1024;

/** The first `limit` bytes of a body; the rest is not read (the body is cancelled, closing its connection). */
function cutBody(body: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let left = limit;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      const chunk = value.byteLength > left ? value.subarray(0, left) : value;
      left -= chunk.byteLength;
      if (chunk.byteLength > 0) controller.enqueue(chunk);
      if (left === 0) {
        controller.close();
        await reader.cancel().catch(() => undefined);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * A fetch whose failed answers (non-2xx) have at most `limit` bytes of body: the SDK reads an error body whole with
 * `text()`, and so would the token refresh, so the cut is made here, under every call the client makes. 2xx answers
 * (downloads, listings) pass unchanged.
 */
export function boundedErrorFetch(inner: FetchFunction, limit = ERROR_BODY_LIMIT): FetchFunction {
  return async (input, init) => {
    const response = await inner(input, init);
    // (A status `Response` cannot be made with, as a 1xx or one past 599, is passed on as it is.)
    if (response.ok || response.body === null || response.status < 200 || response.status > 599) return response;
    const { status, statusText, headers } = response;
    return new Response(cutBody(response.body, limit), { status, statusText, headers });
  };
}

export function createClient(
  credentials: Credentials,
  options: { apiBaseUrl?: string; fetch?: FetchFunction },
): DropboxClient {
  const inner: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const fetch = boundedErrorFetch(options.apiBaseUrl ? redirectingFetch(options.apiBaseUrl, inner) : inner);
  const auth = new DropboxAuth({
    accessToken: credentials.accessToken,
    refreshToken: credentials.refreshToken,
    clientId: credentials.appKey,
    clientSecret: credentials.appSecret,
    fetch,
  });
  const sdk = new Dropbox({ auth, fetch });
  const host = options.apiBaseUrl ? new URL(options.apiBaseUrl).host.toLowerCase() : 'dropboxapi.com';
  const credential = credentials.accessToken ?? `${credentials.appKey ?? ''}/${credentials.refreshToken ?? ''}`;
  let account: Promise<string> | undefined;
  const ask = async (): Promise<string> => {
    try {
      return `account:${(await sdk.usersGetCurrentAccount()).result.account_id}`;
    } catch {
      return `token:${createHash('sha256').update(credential).digest('hex').slice(0, 32)}`;
    }
  };
  return { sdk, auth, fetch, account: async () => `${host}/${await (account ??= ask())}` };
}

/** JSON for the `Dropbox-API-Arg` header: non-ASCII escaped, as HTTP headers must be ASCII. */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * A content-host call made directly (the SDK's `filesDownload` buffers whole files): fresh token, the SDK's
 * auth, our streaming body with timeout and abort. Non-2xx answers other than 416 become UfsErrors.
 */
export async function contentCall(
  client: DropboxClient,
  route: string,
  arg: unknown,
  options: { range?: string; signal?: AbortSignal; timeoutMs?: number; context: ErrorContext },
): Promise<TimedResponse> {
  const { context } = options;
  try {
    await client.auth.checkAndRefreshAccessToken();
  } catch (err) {
    throw dropboxError(err, context);
  }
  const headers: Record<string, string> = {
    authorization: `Bearer ${client.auth.getAccessToken()}`,
    'dropbox-api-arg': headerSafeJson(arg),
  };
  if (options.range) headers.range = options.range;
  let answer: TimedResponse;
  try {
    answer = await timedFetch(
      `https://content.dropboxapi.com/2/${route}`,
      { method: 'POST', headers },
      {
        fetch: client.fetch,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        context,
      },
    );
  } catch (err) {
    throw dropboxError(err, context);
  }
  const { status, headers: answerHeaders } = answer.response;
  if ((status >= 200 && status < 300) || status === 416) return answer;
  // At most ERROR_BODY_LIMIT bytes of the error (with the idle timeout of every body), then the connection is closed.
  let error: unknown;
  try {
    const text = (await collectBytes(answer.body({ limit: ERROR_BODY_LIMIT }))).toString('utf8');
    try {
      error = JSON.parse(text) as unknown;
    } catch {
      error = text;
    }
  } catch {
    error = undefined;
  }
  answer.discard();
  throw dropboxError({ status, headers: answerHeaders, error }, context);
}

/** The metadata Dropbox sends with a download, from the `Dropbox-API-Result` header. */
export function resultHeader(answer: TimedResponse, context: ErrorContext): { content_hash?: string; size?: number } {
  const raw = answer.response.headers.get('dropbox-api-result');
  try {
    return raw ? (JSON.parse(raw) as { content_hash?: string; size?: number }) : {};
  } catch {
    throw new UfsError('UNEXPECTED', `${describeContext(context)} unreadable Dropbox-API-Result header`, { context });
  }
}
