import { describeContext, UfsError, type EntryStat, type ErrorContext, type VersionInfo } from '@org/core';
import type { files } from 'dropbox';
import type { DropboxClient } from './client.js';
import { dropboxError, hasSummary } from './errors.js';
import { statOf } from './paths.js';

/** Dropbox's `Rev`: at least 9 lowercase hex digits. Anything else is refused before a call is made. */
const REV = /^[0-9a-f]{9,}$/;
/** files/list_revisions answers at most 100 entries a call. */
const PAGE = 100;
/**
 * Version ids of the delete marker `versions()` reports for a file Dropbox says is deleted (or moved away). Dropbox
 * gives the deletion no rev of its own, so the marker's id is this prefix and the deletion time: never a valid rev.
 */
const MARKER = 'deleted:';

type Request = { signal?: AbortSignal; timeout: number };

/**
 * Dropbox file revisions as versions: `files/list_revisions` (path mode) lists them, `rev:<rev>` paths read them.
 * A rev names one revision account-wide, so before anything is read its metadata must show the key's own path:
 * a revision of another file is NOT_FOUND through this key.
 */
export class DropboxRevisions {
  constructor(private readonly client: DropboxClient) {}

  /**
   * Every revision Dropbox keeps at `path`, newest first (Dropbox's order, page by page with `before_rev`). The
   * first one is the latest, unless Dropbox says the file is deleted or moved away (`is_deleted`): then a delete
   * marker dated `server_deleted` comes first and is the latest, as S3 lists a deleted object. Nothing ever at the
   * path, or a folder there: no versions (as on S3 and memory).
   */
  async list(path: string, request: Request, context: ErrorContext): Promise<VersionInfo[]> {
    const versions: VersionInfo[] = [];
    let beforeRev: string | undefined;
    for (;;) {
      let page: files.ListRevisionsResult;
      try {
        const arg: files.ListRevisionsArg = { path, mode: { '.tag': 'path' }, limit: PAGE };
        if (beforeRev !== undefined) arg.before_rev = beforeRev;
        page = (await this.client.sdk.filesListRevisions(arg, request)).result;
      } catch (err) {
        const error = dropboxError(err, context);
        if (beforeRev === undefined && (error.code === 'NOT_FOUND' || hasSummary(error, /^path\/not_file/))) return [];
        throw error;
      }
      if (beforeRev === undefined && page.is_deleted) versions.push(deleteMarker(page));
      for (const entry of page.entries) versions.push(versionOf(entry, versions.length === 0));
      const last = page.entries.at(-1)?.rev;
      if (!page.has_more || last === undefined || last === beforeRev) return versions;
      beforeRev = last;
    }
  }

  /**
   * Stat of one version of the file at `path`: null for a revision Dropbox does not have (or that is of another
   * file), and for the delete marker (it has no content, as on memory).
   */
  async stat(
    key: string,
    path: string,
    versionId: string,
    request: Request,
    context: ErrorContext,
  ): Promise<EntryStat | null> {
    const rev = revOf(versionId, context);
    if (rev === undefined || path === '') return null;
    const metadata = await this.metadata(path, rev, request, context);
    return (metadata && statOf(key, metadata)) ?? null;
  }

  /** The path to download one version of the file at `path` from (`rev:<rev>`); NOT_FOUND unless it is one. */
  async readPath(path: string, versionId: string, request: Request, context: ErrorContext): Promise<string> {
    const rev = revOf(versionId, context);
    if (rev === undefined) throw notFound(context, `"${versionId}" is a delete marker: it has no content`);
    if (!(await this.metadata(path, rev, request, context)))
      throw notFound(context, `Dropbox has no revision "${rev}" of this file`);
    return `rev:${rev}`;
  }

  /** get_metadata of `rev:<rev>`, when Dropbox has it and it is a revision of the file at `path`. */
  private async metadata(
    path: string,
    rev: string,
    request: Request,
    context: ErrorContext,
  ): Promise<files.FileMetadataReference | undefined> {
    let metadata: files.FileMetadataReference | files.FolderMetadataReference | files.DeletedMetadataReference;
    try {
      metadata = (await this.client.sdk.filesGetMetadata({ path: `rev:${rev}` }, request)).result;
    } catch (err) {
      const error = dropboxError(err, context);
      if (error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
    if (metadata['.tag'] !== 'file' || metadata.rev !== rev) return undefined;
    // Dropbox paths are case-insensitive: path_lower is how it compares them.
    if (metadata.path_lower === undefined || metadata.path_lower !== path.toLowerCase()) return undefined;
    return metadata;
  }
}

/** The rev a version id names; undefined for a delete marker; INVALID_INPUT for anything else. */
function revOf(versionId: string, context: ErrorContext): string | undefined {
  if (REV.test(versionId)) return versionId;
  if (versionId.startsWith(MARKER)) return undefined;
  throw new UfsError(
    'INVALID_INPUT',
    `${describeContext(context)} "${versionId}" is not a Dropbox revision (at least 9 lowercase hex digits)`,
    { context },
  );
}

function dateOf(value: string | undefined): Date | undefined {
  const date = value === undefined ? undefined : new Date(value);
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

function versionOf(entry: files.FileMetadata, isLatest: boolean): VersionInfo {
  const version: VersionInfo = { versionId: entry.rev, isLatest, isDeleteMarker: false, size: entry.size };
  const mtime = dateOf(entry.server_modified);
  if (mtime) version.mtime = mtime;
  // The same etag as stat() gives (Dropbox's content_hash, quoted).
  if (entry.content_hash) version.etag = `"${entry.content_hash}"`;
  return version;
}

/**
 * The delete marker of a deleted (or moved away) file. Dated `server_deleted`; should Dropbox leave it out, dated
 * as the newest revision (the deletion came at or after it; sorted on equal dates, the latest comes first).
 */
function deleteMarker(page: files.ListRevisionsResult): VersionInfo {
  const deleted = dateOf(page.server_deleted);
  const mtime = deleted ?? dateOf(page.entries[0]?.server_modified);
  const marker: VersionInfo = {
    versionId: `${MARKER}${page.server_deleted ?? page.entries[0]?.rev ?? ''}`,
    isLatest: true,
    isDeleteMarker: true,
    size: 0,
  };
  if (mtime) marker.mtime = mtime;
  return marker;
}

function notFound(context: ErrorContext, detail: string): UfsError {
  return new UfsError('NOT_FOUND', `${describeContext(context)} ${detail}`, { context });
}
