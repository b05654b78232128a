import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeService, drain, send } from './base.js';

interface Entry {
  fileId: string;
  pathDisplay: string;
  size: number;
  contentHash: string;
  link?: string;
}

export interface DropboxFakeOptions {
  accessToken: string;
  /** Accept this refresh token (with `appKey`) at `/oauth2/token` and hand out `accessToken`. */
  refreshToken?: string;
  appKey?: string;
  /** Space of the account: a commit that would go over it is `path/insufficient_space`. */
  quotaBytes?: number;
}

const MiB = 1024 * 1024;

/** Names Dropbox will not save (`path/disallowed_name`), compared case-insensitively. */
const DISALLOWED_NAMES = new Set(['desktop.ini', 'thumbs.db', '.ds_store', 'icon\r', '.dropbox', '.dropbox.attr']);

/** Dropbox's content_hash of a stored file: SHA-256 of the SHA-256 digests of its 4 MiB blocks. */
async function contentHash(path: string): Promise<string> {
  const blocks: Buffer[] = [];
  for await (const block of createReadStream(path, { highWaterMark: 4 * MiB }) as AsyncIterable<Buffer>) {
    blocks.push(createHash('sha256').update(block).digest());
  }
  return createHash('sha256').update(Buffer.concat(blocks)).digest('hex');
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function apiError(res: ServerResponse, status: number, summary: string, error: object = {}): void {
  send(res, status, { error_summary: `${summary}/...`, error });
}

/**
 * Dropbox API v2, the calls ufs uses, on one host (the SDK's `api.` and `content.` hosts both map here):
 * `files/upload`, `files/upload_session/{start,append_v2,finish}`, `sharing/create_shared_link_with_settings`,
 * `sharing/list_shared_links`, `files/get_metadata` (with `content_hash`), `files/delete_v2`, `oauth2/token`
 * (refresh grant). Checks the bearer token, the content types, `Dropbox-API-Arg`, session offsets, name conflicts
 * (`mode: add` vs `overwrite`), names Dropbox refuses (`path/disallowed_name`) and the account's space
 * (`quotaBytes`: `path/insufficient_space`); route errors are 409 with `error_summary` as Dropbox sends them. Shared
 * links `/scl/fi/<id>/<name>?dl=0` show a page, `dl=1` redirects to the bytes. Faults apply to `files/upload` and
 * `upload_session/start` (see `routeError`); "no URL" makes the shared-link call answer without `url`;
 * `loseAnswers` stores a commit but cuts the connection instead of answering (the client never learns).
 */
export function dropboxFake(options: DropboxFakeOptions): FakeService {
  const entries = new Map<string, Entry>();
  const sessions = new Map<string, { path: string; offset: number }>();
  const sessionRequests: string[] = [];
  const lost = { answers: 0 };
  const routeErrors: string[] = [];

  function authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${options.accessToken}`;
  }

  function metadata(entry: Entry) {
    const name = entry.pathDisplay.slice(entry.pathDisplay.lastIndexOf('/') + 1);
    return {
      '.tag': 'file',
      name,
      id: `id:${entry.fileId}`,
      path_lower: entry.pathDisplay.toLowerCase(),
      path_display: entry.pathDisplay,
      size: entry.size,
      content_hash: entry.contentHash,
      is_downloadable: true,
    };
  }

  async function commit(res: ServerResponse, tempPath: string, arg: Record<string, unknown>): Promise<void> {
    const path = String(arg.path ?? '');
    const mode = (arg.mode as { '.tag'?: string } | undefined)?.['.tag'] ?? 'add';
    if (!path.startsWith('/')) return apiError(res, 400, 'path/malformed_path');
    const existing = entries.get(path.toLowerCase());
    if (existing && mode !== 'overwrite') {
      return apiError(res, 409, 'path/conflict/file', {
        '.tag': 'path',
        reason: { '.tag': 'conflict', conflict: { '.tag': 'file' } },
      });
    }
    if (DISALLOWED_NAMES.has(path.slice(path.lastIndexOf('/') + 1).toLowerCase())) {
      return apiError(res, 409, 'path/disallowed_name', { '.tag': 'path', reason: { '.tag': 'disallowed_name' } });
    }
    const size = (await stat(tempPath)).size;
    if (options.quotaBytes !== undefined) {
      let used = 0;
      for (const entry of entries.values()) if (entry !== existing) used += entry.size;
      if (used + size > options.quotaBytes) {
        return apiError(res, 409, 'path/insufficient_space', {
          '.tag': 'path',
          reason: { '.tag': 'insufficient_space' },
        });
      }
    }
    const fileId = existing?.fileId ?? randomBytes(6).toString('hex');
    await rename(tempPath, join(fake.dir, fileId));
    fake.files.set(fileId, {
      id: fileId,
      name: path,
      size,
      path: join(fake.dir, fileId),
      contentType: 'application/octet-stream',
      downloads: 0,
    });
    const entry: Entry = {
      fileId,
      pathDisplay: path,
      size,
      contentHash: await contentHash(join(fake.dir, fileId)),
      ...(existing?.link ? { link: existing.link } : {}),
    };
    entries.set(path.toLowerCase(), entry);
    if (lost.answers > 0) {
      lost.answers--;
      return void res.destroy();
    }
    send(res, 200, metadata(entry));
  }

  async function receive(req: IncomingMessage, target: string, append = false): Promise<number> {
    await pipeline(req, createWriteStream(target, { flags: append ? 'a' : 'w' }));
    return (await stat(target)).size;
  }

  const fake: FakeService = new FakeService('dropbox', async (req, res, url) => {
    const route = url.pathname;
    if (req.method === 'POST' && route === '/oauth2/token') {
      await drain(req);
      const q = url.searchParams;
      if (
        q.get('grant_type') !== 'refresh_token' ||
        !options.refreshToken ||
        q.get('refresh_token') !== options.refreshToken ||
        q.get('client_id') !== options.appKey
      ) {
        return send(res, 400, { error: 'invalid_grant', error_description: 'refresh token is malformed' });
      }
      return send(res, 200, { access_token: options.accessToken, token_type: 'bearer', expires_in: 14400 });
    }
    if (req.method === 'POST' && route.startsWith('/2/')) {
      if (!authorized(req)) {
        await drain(req);
        return apiError(res, 401, 'invalid_access_token', { '.tag': 'invalid_access_token' });
      }
      const isContent = route.startsWith('/2/files/upload');
      if (isContent) {
        if (req.headers['content-type'] !== 'application/octet-stream') {
          await drain(req);
          return send(res, 400, `Error in call to API function "${route.slice(3)}": Bad HTTP "Content-Type" header`);
        }
        let arg: Record<string, unknown>;
        try {
          arg = JSON.parse(String(req.headers['dropbox-api-arg'] ?? '')) as Record<string, unknown>;
        } catch {
          await drain(req);
          return send(res, 400, 'Error in call to API function: missing or bad Dropbox-API-Arg');
        }
        if (route === '/2/files/upload' || route === '/2/files/upload_session/start') {
          if (await fake.intercept(req, res)) return;
          const summary = routeErrors.shift();
          if (summary !== undefined) {
            await drain(req);
            const [tag, reason] = summary.split('/');
            return apiError(res, 409, summary, { '.tag': tag, ...(reason ? { reason: { '.tag': reason } } : {}) });
          }
        }
        const temp = join(fake.dir, `tmp-${randomBytes(6).toString('hex')}`);
        if (route === '/2/files/upload') {
          if ((await receive(req, temp)) > 150 * MiB) return apiError(res, 400, 'payload_too_large');
          return commit(res, temp, arg);
        }
        if (route === '/2/files/upload_session/start') {
          const id = `sess-${randomBytes(6).toString('hex')}`;
          const size = await receive(req, temp);
          sessions.set(id, { path: temp, offset: size });
          sessionRequests.push('start');
          return send(res, 200, { session_id: id });
        }
        const cursor = arg.cursor as { session_id?: string; offset?: number } | undefined;
        const session = sessions.get(String(cursor?.session_id));
        if (!session) {
          await drain(req);
          return apiError(res, 409, 'lookup_failed/not_found', { '.tag': 'not_found' });
        }
        if (cursor?.offset !== session.offset) {
          await drain(req);
          return apiError(res, 409, 'incorrect_offset', { '.tag': 'incorrect_offset', correct_offset: session.offset });
        }
        session.offset = await receive(req, session.path, true);
        if (route === '/2/files/upload_session/append_v2') {
          sessionRequests.push('append');
          return send(res, 200, 'null');
        }
        if (route === '/2/files/upload_session/finish') {
          sessionRequests.push('finish');
          sessions.delete(String(cursor.session_id));
          return commit(res, session.path, (arg.commit ?? {}) as Record<string, unknown>);
        }
        return send(res, 404, 'unknown upload route');
      }
      if (req.headers['content-type'] !== 'application/json') {
        await drain(req);
        return send(res, 400, 'Bad HTTP "Content-Type" header');
      }
      const body = (await readJson(req)) ?? {};
      const entry = entries.get(String(body.path ?? '').toLowerCase());
      if (route === '/2/sharing/create_shared_link_with_settings') {
        if (!entry) return apiError(res, 409, 'path/not_found', { '.tag': 'path', path: { '.tag': 'not_found' } });
        if (entry.link) {
          return apiError(res, 409, 'shared_link_already_exists/metadata', { '.tag': 'shared_link_already_exists' });
        }
        entry.link = `${fake.url}/scl/fi/${entry.fileId}/${encodeURIComponent(metadata(entry).name)}?rlkey=${randomBytes(4).toString('hex')}&dl=0`;
        if (fake.takeEmpty()) return send(res, 200, { '.tag': 'file', name: metadata(entry).name });
        return send(res, 200, {
          '.tag': 'file',
          url: entry.link,
          name: metadata(entry).name,
          path_lower: metadata(entry).path_lower,
          link_permissions: { can_revoke: true },
        });
      }
      if (route === '/2/sharing/list_shared_links') {
        const links = entry?.link
          ? [{ '.tag': 'file', url: entry.link, name: metadata(entry).name, path_lower: metadata(entry).path_lower }]
          : [];
        return send(res, 200, { links, has_more: false });
      }
      if (route === '/2/files/get_metadata') {
        if (!entry) return apiError(res, 409, 'path/not_found', { '.tag': 'path', path: { '.tag': 'not_found' } });
        return send(res, 200, metadata(entry));
      }
      if (route === '/2/files/delete_v2') {
        if (!entry) return apiError(res, 409, 'path_lookup/not_found', { '.tag': 'path_lookup' });
        entries.delete(String(body.path).toLowerCase());
        fake.files.delete(entry.fileId);
        return send(res, 200, { metadata: metadata(entry) });
      }
      return send(res, 404, `unknown route ${route}`);
    }
    const link = /^\/scl\/fi\/([0-9a-f]+)\/[^/]+$/.exec(route);
    if (req.method === 'GET' && link) {
      if (url.searchParams.get('dl') !== '1')
        return send(res, 200, '<html>preview</html>', { 'content-type': 'text/html' });
      res.writeHead(302, { location: `${fake.url}/content/${link[1]}` });
      return void res.end();
    }
    if (req.method === 'GET' && route.startsWith('/content/')) return fake.serve(res, route.slice('/content/'.length));
    await drain(req);
    send(res, 404, 'not found');
  });
  Object.assign(fake, { sessionRequests, lost, routeErrors });
  const reset = fake.reset.bind(fake);
  fake.reset = () => {
    reset();
    lost.answers = 0;
    routeErrors.length = 0;
  };
  return fake;
}

/** The next `times` commits are stored but their answer is lost (the connection is cut instead). */
export function loseAnswers(fake: FakeService, times = 1): void {
  (fake as FakeService & { lost: { answers: number } }).lost.answers += times;
}

/**
 * The next `times` uploads (`files/upload`, `upload_session/start`) answer a route error as Dropbox does: HTTP 409,
 * JSON `{"error_summary": "<summary>/...", "error": {".tag": "path", "reason": {".tag": …}}}`, e.g.
 * `path/too_many_write_operations` or `path/malformed_path`.
 */
export function routeError(fake: FakeService, summary: string, times = 1): void {
  const queue = (fake as FakeService & { routeErrors: string[] }).routeErrors;
  for (let i = 0; i < times; i++) queue.push(summary);
}

/** Session calls seen by a dropbox fake (`start`, `append`, `finish`), in order. */
export function sessionCalls(fake: FakeService): string[] {
  return (fake as FakeService & { sessionRequests?: string[] }).sessionRequests ?? [];
}
