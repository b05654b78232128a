import { createHash, randomBytes } from 'node:crypto';

/** A Dropbox API error: HTTP 409 with `{error_summary, error}` (endpoint-specific union). */
export class DropboxApiError extends Error {
  constructor(
    readonly summary: string,
    readonly error: Record<string, unknown>,
    readonly status = 409,
  ) {
    super(summary);
  }
}

interface Item {
  tag: 'file' | 'folder';
  pathDisplay: string;
  id: string;
  content?: Buffer;
  rev?: string;
  serverModified?: Date;
  contentHash?: string;
}

/** Dropbox's content_hash: SHA-256 of the concatenated SHA-256 digests of each 4 MiB block. */
export function dropboxContentHash(bytes: Buffer): string {
  const overall = createHash('sha256');
  for (let i = 0; i < bytes.length; i += 4 * 1024 * 1024) {
    overall.update(
      createHash('sha256')
        .update(bytes.subarray(i, i + 4 * 1024 * 1024))
        .digest(),
    );
  }
  return overall.digest('hex');
}

const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const lower = (path: string) => path.toLowerCase();
const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const tagged = (tag: string, inner?: Record<string, unknown>) => ({ '.tag': tag, ...inner });

/**
 * The files of one fake Dropbox account, with Dropbox's rules: paths are case-insensitive (keyed by path_lower,
 * shown by path_display), parent folders are created by uploads, copies and moves, deleting a folder deletes its
 * tree, every write of a file gets a new rev, and an upload of identical content is not a conflict unless
 * `strict_conflict` is set (nor a new revision). Every revision of a file is kept under its path (a copy or move
 * puts one at the destination), readable by `rev:<rev>` even once the file is deleted; a delete or a move away
 * dates the deletion of each file it removes (`server_deleted` of list_revisions) until a file is there again.
 */
export class DropboxStore {
  private readonly items = new Map<string, Item>();
  /** path_lower → the revisions written there, oldest first. */
  private readonly history = new Map<string, Item[]>();
  /** rev → its revision. */
  private readonly revisions = new Map<string, Item>();
  /** path_lower → when the file there was deleted or moved away (while nothing is there again). */
  private readonly deleted = new Map<string, Date>();
  private revCounter = 0x10000000;
  /** The server's clock (tests set it to date revisions). */
  now: () => Date = () => new Date();

  metadata(path: string): Record<string, unknown> {
    if (path.startsWith('rev:')) return this.describe(this.revision(path.slice(4), 'path'));
    const item = this.items.get(lower(path));
    if (!item) throw notFound('path');
    return this.describe(item);
  }

  describe(item: Item): Record<string, unknown> {
    const base = {
      name: nameOf(item.pathDisplay),
      id: item.id,
      path_lower: lower(item.pathDisplay),
      path_display: item.pathDisplay,
    };
    if (item.tag === 'folder') return tagged('folder', base);
    return tagged('file', {
      ...base,
      client_modified: iso(item.serverModified!),
      server_modified: iso(item.serverModified!),
      rev: item.rev,
      size: item.content!.length,
      is_downloadable: true,
      content_hash: item.contentHash,
    });
  }

  file(path: string, where = 'path'): Item {
    if (path.startsWith('rev:')) return this.revision(path.slice(4), where);
    const item = this.items.get(lower(path));
    if (!item) throw notFound(where);
    if (item.tag !== 'file')
      throw new DropboxApiError(`${where}/not_file/`, tagged(where, { [where]: tagged('not_file') }));
    return item;
  }

  /** Entries under a folder ('' = root), sorted by path_lower; recursive listings include the folder itself. */
  list(path: string, recursive: boolean): Record<string, unknown>[] {
    const key = lower(path);
    if (key !== '') {
      const folder = this.items.get(key);
      if (!folder) throw notFound('path');
      if (folder.tag !== 'folder')
        throw new DropboxApiError('path/not_folder/', tagged('path', { path: tagged('not_folder') }));
    }
    const out: Item[] = [];
    for (const [itemKey, item] of this.items) {
      const below = key === '' || itemKey.startsWith(`${key}/`);
      if (!below && !(recursive && itemKey === key)) continue;
      if (!recursive && parentOf(itemKey) !== key) continue;
      out.push(item);
    }
    return out.sort((a, b) => (lower(a.pathDisplay) < lower(b.pathDisplay) ? -1 : 1)).map((i) => this.describe(i));
  }

  /** One kept revision, by rev (of a file that may since have been overwritten, moved or deleted). */
  revision(rev: string, where = 'path'): Item {
    const item = this.revisions.get(rev);
    if (!item) throw notFound(where);
    return item;
  }

  /**
   * files/list_revisions in path mode: the revisions at `path`, newest first, `limit` at a time, those older than
   * `beforeRev` when given. `is_deleted` (with `server_deleted`) when no file is at the path now, on every page
   * (what Dropbox says on later pages, of the newest revision before `before_rev`, is not modelled).
   */
  listRevisions(path: string, limit: number, beforeRev?: string): Record<string, unknown> {
    const key = lower(path);
    const current = this.items.get(key);
    if (current?.tag === 'folder')
      throw new DropboxApiError('path/not_file/', tagged('path', { path: tagged('not_file') }));
    const all = [...(this.history.get(key) ?? [])].reverse();
    if (all.length === 0) throw notFound('path');
    let from = 0;
    if (beforeRev !== undefined) {
      from = all.findIndex((item) => item.rev === beforeRev) + 1;
      if (from === 0) throw new DropboxApiError('invalid_before_rev/', tagged('invalid_before_rev'));
    }
    const entries = all.slice(from, from + limit);
    const isDeleted = !current;
    const deletedAt = this.deleted.get(key);
    return {
      is_deleted: isDeleted,
      ...(isDeleted && deletedAt ? { server_deleted: iso(deletedAt) } : {}),
      entries: entries.map((item) => this.describe(item)),
      has_more: from + entries.length < all.length,
    };
  }

  upload(path: string, content: Buffer, mode: string, strictConflict: boolean): Record<string, unknown> {
    const existing = this.items.get(lower(path));
    if (existing?.tag === 'folder') throw conflict('path', 'folder');
    if (existing && mode === 'add') {
      if (strictConflict || !existing.content!.equals(content)) throw conflict('path', 'file');
      return this.describe(existing);
    }
    if (existing?.content!.equals(content)) return this.describe(existing);
    this.ensureParents(path, 'path');
    const item: Item = existing ?? { tag: 'file', pathDisplay: path, id: newId() };
    Object.assign(item, {
      content,
      rev: this.nextRev(),
      serverModified: this.now(),
      contentHash: dropboxContentHash(content),
    });
    this.items.set(lower(path), item);
    this.keep(item);
    return this.describe(item);
  }

  createFolder(path: string): Record<string, unknown> {
    const existing = this.items.get(lower(path));
    if (existing) throw conflict('path', existing.tag);
    this.ensureParents(path, 'path');
    const item: Item = { tag: 'folder', pathDisplay: path, id: newId() };
    this.items.set(lower(path), item);
    return this.describe(item);
  }

  delete(path: string): Record<string, unknown> {
    const key = lower(path);
    const item = this.items.get(key);
    if (!item) throw notFound('path_lookup');
    for (const other of [...this.items.keys()]) if (other === key || other.startsWith(`${key}/`)) this.remove(other);
    return this.describe(item);
  }

  copy(from: string, to: string, move: boolean): Record<string, unknown> {
    const source = this.items.get(lower(from));
    if (!source) throw notFound('from_lookup');
    // A move to another case of the same path renames the entry (and what is below it) in place, as Dropbox does:
    // same ids and revisions, the new case shown.
    if (move && lower(to) === lower(from) && to !== source.pathDisplay) return this.recase(from, to);
    const target = this.items.get(lower(to));
    if (target) throw conflict('to', target.tag);
    const fromKey = lower(from);
    if (lower(to) === fromKey || lower(to).startsWith(`${fromKey}/`)) {
      throw new DropboxApiError('duplicated_or_nested_paths/', tagged('duplicated_or_nested_paths'));
    }
    this.ensureParents(to, 'to');
    const moved: [string, Item][] = [];
    for (const [key, item] of this.items) {
      if (key !== fromKey && !key.startsWith(`${fromKey}/`)) continue;
      const display = to + item.pathDisplay.slice(from.length);
      moved.push([
        key,
        { ...item, pathDisplay: display, id: move ? item.id : newId(), rev: item.rev && this.nextRev() },
      ]);
    }
    if (move) for (const [key] of moved) this.remove(key);
    for (const [, item] of moved) {
      this.items.set(lower(item.pathDisplay), item);
      if (item.tag === 'file') this.keep(item);
    }
    return this.metadata(to);
  }

  /** A case-only rename: the entry at `from` and those below it show `to`'s case; nothing else changes. */
  private recase(from: string, to: string): Record<string, unknown> {
    const fromKey = lower(from);
    for (const [key, item] of this.items) {
      if (key !== fromKey && !key.startsWith(`${fromKey}/`)) continue;
      item.pathDisplay = to + item.pathDisplay.slice(to.length);
    }
    return this.metadata(to);
  }

  /** Keeps a new revision (a snapshot: later changes to the item do not change it). */
  private keep(item: Item): void {
    const key = lower(item.pathDisplay);
    const revision = { ...item };
    const kept = this.history.get(key) ?? [];
    kept.push(revision);
    this.history.set(key, kept);
    this.revisions.set(revision.rev!, revision);
    this.deleted.delete(key);
  }

  /** Removes what is at `key`; a file's deletion is dated for list_revisions. */
  private remove(key: string): void {
    if (this.items.get(key)?.tag === 'file') this.deleted.set(key, this.now());
    this.items.delete(key);
  }

  private ensureParents(path: string, where: string): void {
    const parts = path.split('/').slice(1, -1);
    let current = '';
    for (const part of parts) {
      current += `/${part}`;
      const existing = this.items.get(lower(current));
      if (existing?.tag === 'file') throw conflict(where, 'file');
      if (!existing) this.items.set(lower(current), { tag: 'folder', pathDisplay: current, id: newId() });
    }
  }

  private nextRev(): string {
    this.revCounter += 1;
    return `0${this.revCounter.toString(16)}`;
  }
}

function newId(): string {
  return `id:${randomBytes(9).toString('base64url')}`;
}

function notFound(where: string): DropboxApiError {
  return new DropboxApiError(`${where}/not_found/`, tagged(where, { [where]: tagged('not_found') }));
}

function conflict(where: string, kind: string): DropboxApiError {
  return new DropboxApiError(
    `${where}/conflict/${kind}/`,
    tagged(where, { [where]: tagged('conflict', { conflict: tagged(kind) }) }),
  );
}
