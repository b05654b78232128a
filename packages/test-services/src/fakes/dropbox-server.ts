import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DropboxApiError, DropboxStore, dropboxContentHash } from './dropbox-store.js';

/**
 * A local server following Dropbox API v2 for exactly the calls the dropbox backend makes. Requests reach it as
 * `<url>/<host>/<path>` (the backend's `apiBaseUrl` rewrites `https://<host>/<path>`), and each route answers only
 * on its real host: RPC routes on api.dropboxapi.com (POST, JSON body), content routes on content.dropboxapi.com
 * (`Dropbox-API-Arg` header, octet-stream body, `Dropbox-API-Result` answer header). Errors have Dropbox's shapes:
 * 400 text for malformed calls, 401 `invalid_access_token`, 409 `{error_summary, error}` for endpoint errors, 429
 * with `Retry-After`. OAuth refresh (`/oauth2/token`) and temporary links (`/temp/<token>`) are served too.
 *
 * Revisions: files/list_revisions (path mode: newest first, `limit` 1..100, `before_rev` pages, `is_deleted` and
 * `server_deleted` for a file deleted or moved away) and `rev:<rev>` paths on get_metadata and download (other
 * routes refuse them, as their path pattern does), answering the revision's metadata with the path it was written
 * at; an unknown rev is `path/not_found`.
 *
 * Not covered: list_folder/longpoll and get_latest_cursor, list_revisions in id mode and `id:`/`ns:` paths, sharing,
 * team spaces and Dropbox-API-Path-Root, content-hash-based dedup of sessions, upload size limits (150 MiB per
 * request, 350 GB per file), concurrent upload sessions, batch endpoints, the 4-hour expiry of temporary links
 * and of short-lived tokens, and the approximate (not exact) `limit` of real list_folder pages.
 */
export interface DropboxFake {
  /** Base URL to give the backend as `apiBaseUrl`. */
  readonly url: string;
  readonly store: DropboxStore;
  /** Access tokens accepted (add more; refreshes add theirs). */
  readonly tokens: Set<string>;
  /** Refresh token → app key accepted by /oauth2/token. */
  readonly refreshTokens: Map<string, { appKey: string; appSecret: string }>;
  /** Route names called, in order (`files/upload`, `oauth2/token`, …). */
  readonly calls: string[];
  /** Makes the next `count` calls (of `route`, or any) fail with `status` (429 adds Retry-After). */
  failNext(count: number, status: number, options?: { route?: string; retryAfter?: number }): void;
  close(): Promise<void>;
}

const API = 'api.dropboxapi.com';
const CONTENT = 'content.dropboxapi.com';
const RPC_ROUTES = new Set([
  'files/get_metadata',
  'files/list_folder',
  'files/list_folder/continue',
  'files/delete_v2',
  'files/create_folder_v2',
  'files/copy_v2',
  'files/move_v2',
  'files/get_temporary_link',
  'files/list_revisions',
  'users/get_current_account',
]);
/** Routes whose path is a ReadPath, which may be `rev:<rev>`. */
const REV_ROUTES = new Set(['files/get_metadata', 'files/download']);
const CONTENT_ROUTES = new Set([
  'files/upload',
  'files/download',
  'files/upload_session/start',
  'files/upload_session/append_v2',
  'files/upload_session/finish',
]);

const headerSafe = (value: unknown) =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function modeOf(mode: unknown): string {
  if (typeof mode === 'string') return mode;
  return ((mode as { '.tag'?: string } | undefined)?.['.tag'] ?? 'add') as string;
}

export async function startDropboxFake(): Promise<DropboxFake> {
  const store = new DropboxStore();
  const tokens = new Set<string>();
  const accountId = `dbid:AA${randomBytes(16).toString('hex')}`;
  const refreshTokens = new Map<string, { appKey: string; appSecret: string }>();
  const calls: string[] = [];
  const faults: { count: number; status: number; route?: string; retryAfter?: number }[] = [];
  const sessions = new Map<string, { chunks: Buffer[]; offset: number; closed: boolean }>();
  const links = new Map<string, string>();
  let url = '';

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const full = new URL(req.url ?? '/', 'http://fake');
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
    const text = (status: number, message: string) =>
      res.writeHead(status, { 'content-type': 'text/plain' }).end(message);

    if (req.method === 'GET' && full.pathname.startsWith('/temp/')) {
      const path = links.get(full.pathname.slice(6));
      if (!path) return text(404, 'link expired or unknown');
      const item = store.file(path);
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(item.content);
    }
    const match = /^\/([^/]+)\/(?:2\/)?(.+)$/.exec(full.pathname);
    if (!match || req.method !== 'POST') return text(404, 'not found');
    const [, host, route] = match as unknown as [string, string, string];
    calls.push(route);
    const fault = faults.find((f) => f.count > 0 && (!f.route || f.route === route));
    if (fault) {
      fault.count -= 1;
      if (fault.status === 429) {
        const after = fault.retryAfter ?? 1;
        return json(
          429,
          {
            error_summary: 'too_many_requests/..',
            error: { reason: { '.tag': 'too_many_requests' }, retry_after: after },
          },
          { 'retry-after': String(after) },
        );
      }
      return text(fault.status, 'Internal Server Error');
    }

    if (route === 'oauth2/token') {
      if (host !== API) return text(404, 'wrong host');
      const q = full.searchParams;
      const known = refreshTokens.get(q.get('refresh_token') ?? '');
      if (
        q.get('grant_type') !== 'refresh_token' ||
        !known ||
        known.appKey !== q.get('client_id') ||
        known.appSecret !== q.get('client_secret')
      ) {
        return json(400, { error: 'invalid_grant', error_description: 'refresh token is invalid or revoked' });
      }
      const token = `sl.${randomBytes(12).toString('hex')}`;
      tokens.add(token);
      return json(200, { access_token: token, token_type: 'bearer', expires_in: 14400 });
    }

    const isRpc = RPC_ROUTES.has(route);
    if (!isRpc && !CONTENT_ROUTES.has(route)) return text(400, `Unknown API function: "${route}"`);
    if (host !== (isRpc ? API : CONTENT)) return text(400, `"${route}" is not served on ${host}`);
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!auth || !tokens.has(auth[1]!)) {
      return json(401, { error_summary: 'invalid_access_token/..', error: { '.tag': 'invalid_access_token' } });
    }

    // One account per fake: every token reaches it (the call has no argument: no body, no Content-Type).
    if (route === 'users/get_current_account')
      return json(200, { account_id: accountId, name: { display_name: 'Fake' } });

    let arg: Record<string, unknown>;
    try {
      if (isRpc) {
        if (!/^application\/json/.test(req.headers['content-type'] ?? '')) {
          return text(400, `Error in call to API function "${route}": Bad HTTP "Content-Type" header`);
        }
        arg = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } else {
        arg = JSON.parse(String(req.headers['dropbox-api-arg'] ?? '')) as Record<string, unknown>;
        if (route !== 'files/download' && req.headers['content-type'] !== 'application/octet-stream') {
          return text(400, `Error in call to API function "${route}": Bad HTTP "Content-Type" header`);
        }
      }
    } catch {
      return text(400, `Error in call to API function "${route}": could not decode input as JSON`);
    }
    for (const field of ['path', 'from_path', 'to_path']) {
      const value = arg[field] ?? (arg.commit as Record<string, unknown> | undefined)?.[field];
      if (value === undefined) continue;
      if (typeof value === 'string' && REV_ROUTES.has(route) && /^rev:[0-9a-f]{9,}$/.test(value)) continue;
      if (
        typeof value !== 'string' ||
        (value !== '' && !value.startsWith('/')) ||
        value.endsWith('/') ||
        value.includes('//')
      ) {
        return text(
          400,
          `Error in call to API function "${route}": request body: ${field}: '${String(value)}' did not match pattern`,
        );
      }
      if (value === '' && route !== 'files/list_folder') {
        return text(
          400,
          `Error in call to API function "${route}": request body: ${field}: the root folder is unsupported`,
        );
      }
    }

    try {
      switch (route) {
        case 'files/get_metadata':
          return json(200, store.metadata(arg.path as string));
        case 'files/list_folder':
        case 'files/list_folder/continue': {
          let state: { path: string; recursive: boolean; offset: number; limit: number };
          if (route === 'files/list_folder') {
            state = {
              path: arg.path as string,
              recursive: !!arg.recursive,
              offset: 0,
              limit: Number(arg.limit ?? 2000),
            };
          } else {
            try {
              state = JSON.parse(Buffer.from(String(arg.cursor), 'base64url').toString()) as typeof state;
            } catch {
              return text(400, 'Error in call to API function "files/list_folder/continue": invalid cursor');
            }
          }
          const all = store.list(state.path, state.recursive);
          const entries = all.slice(state.offset, state.offset + state.limit);
          const next = { ...state, offset: state.offset + entries.length };
          const cursor = Buffer.from(JSON.stringify(next)).toString('base64url');
          return json(200, { entries, cursor, has_more: next.offset < all.length });
        }
        case 'files/list_revisions': {
          const limit = arg.limit === undefined ? 10 : Number(arg.limit);
          if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
            return text(
              400,
              `Error in call to API function "files/list_revisions": request body: limit: ${String(arg.limit)} is not between 1 and 100`,
            );
          }
          if (arg.mode !== undefined && modeOf(arg.mode) !== 'path')
            return text(400, 'the fake covers files/list_revisions in path mode only');
          const beforeRev = arg.before_rev;
          if (beforeRev !== undefined && (typeof beforeRev !== 'string' || !/^[0-9a-f]{9,}$/.test(beforeRev))) {
            return text(
              400,
              `Error in call to API function "files/list_revisions": request body: before_rev: '${String(beforeRev)}' did not match pattern`,
            );
          }
          return json(200, store.listRevisions(arg.path as string, limit, beforeRev));
        }
        case 'files/delete_v2':
          return json(200, { metadata: store.delete(arg.path as string) });
        case 'files/create_folder_v2':
          return json(200, { metadata: store.createFolder(arg.path as string) });
        case 'files/copy_v2':
        case 'files/move_v2':
          return json(200, {
            metadata: store.copy(arg.from_path as string, arg.to_path as string, route === 'files/move_v2'),
          });
        case 'files/get_temporary_link': {
          const item = store.file(arg.path as string);
          const token = randomBytes(16).toString('hex');
          links.set(token, item.pathDisplay);
          return json(200, { metadata: store.metadata(item.pathDisplay), link: `${url}/temp/${token}` });
        }
        case 'files/upload': {
          const expected = arg.content_hash as string | undefined;
          if (expected !== undefined && expected !== dropboxContentHash(body)) {
            throw new DropboxApiError('content_hash_mismatch/', { '.tag': 'content_hash_mismatch' });
          }
          return json(200, store.upload(arg.path as string, body, modeOf(arg.mode), !!arg.strict_conflict));
        }
        case 'files/upload_session/start': {
          const id = randomBytes(12).toString('hex');
          sessions.set(id, { chunks: [body], offset: body.length, closed: !!arg.close });
          return json(200, { session_id: id });
        }
        case 'files/upload_session/append_v2':
        case 'files/upload_session/finish': {
          const cursor = arg.cursor as { session_id: string; offset: number };
          const session = sessions.get(cursor.session_id);
          const lookup = route === 'files/upload_session/finish' ? 'lookup_failed/' : '';
          if (!session) throw new DropboxApiError(`${lookup}not_found/`, { '.tag': 'not_found' });
          if (cursor.offset !== session.offset) {
            throw new DropboxApiError(`${lookup}incorrect_offset/`, {
              '.tag': 'incorrect_offset',
              correct_offset: session.offset,
            });
          }
          if (session.closed && body.length > 0) throw new DropboxApiError(`${lookup}closed/`, { '.tag': 'closed' });
          session.chunks.push(body);
          session.offset += body.length;
          if (route === 'files/upload_session/append_v2') {
            session.closed = !!arg.close;
            return json(200, null);
          }
          const commit = arg.commit as { path: string; mode?: unknown; strict_conflict?: boolean };
          sessions.delete(cursor.session_id);
          const content = Buffer.concat(session.chunks);
          return json(200, store.upload(commit.path, content, modeOf(commit.mode), !!commit.strict_conflict));
        }
        case 'files/download': {
          const item = store.file(arg.path as string);
          const content = item.content!;
          const headers = {
            'content-type': 'application/octet-stream',
            'dropbox-api-result': headerSafe(store.describe(item)),
          };
          const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
          if (!range)
            return void res.writeHead(200, { ...headers, 'content-length': String(content.length) }).end(content);
          const start = range[1] === '' ? Math.max(0, content.length - Number(range[2])) : Number(range[1]);
          const end =
            range[1] === '' || range[2] === '' ? content.length - 1 : Math.min(Number(range[2]), content.length - 1);
          if (start >= content.length)
            return void res.writeHead(416, { 'content-range': `bytes */${content.length}` }).end();
          return void res
            .writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${content.length}` })
            .end(content.subarray(start, end + 1));
        }
      }
    } catch (err) {
      if (err instanceof DropboxApiError)
        return json(err.status, { error_summary: `${err.summary}..`, error: err.error });
      throw err;
    }
    return text(500, 'unhandled');
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    tokens,
    refreshTokens,
    calls,
    failNext(count, status, options = {}) {
      faults.push({ count, status, ...options });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
