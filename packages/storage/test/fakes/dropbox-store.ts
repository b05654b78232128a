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
 * `strict_conflict` is set.
 */
export class DropboxStore {
  private readonly items = new Map<string, Item>();
  private revCounter = 0x10000000;

  metadata(path: string): Record<string, unknown> {
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
      serverModified: new Date(),
      contentHash: dropboxContentHash(content),
    });
    this.items.set(lower(path), item);
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
    for (const other of [...this.items.keys()])
      if (other === key || other.startsWith(`${key}/`)) this.items.delete(other);
    return this.describe(item);
  }

  copy(from: string, to: string, move: boolean): Record<string, unknown> {
    const source = this.items.get(lower(from));
    if (!source) throw notFound('from_lookup');
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
    if (move) for (const [key] of moved) this.items.delete(key);
    for (const [, item] of moved) this.items.set(lower(item.pathDisplay), item);
    return this.metadata(to);
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
