import type { EntryStat, ErrorContext, ListOptions, ListPage } from '@org/core';
import type { files } from 'dropbox';
import { ListingRest } from '../../util/listing-rest.js';
import { isAddressable, unaddressableEntry } from '../../util/key-names.js';
import { bindToken, pageSizeOf, tokenOf, type CursorListing } from '../../util/paginate.js';
import type { DropboxClient } from './client.js';
import { dropboxError, hasSummary, invalid } from './errors.js';
import { ListedKeys, statOf, type DropboxPaths } from './paths.js';

/** The largest page: Dropbox's own largest `limit`. */
const MAX_PAGE = 2000;

/** An entry of a batch as a page hands it out, and the Dropbox path (lowercased) that finds it in its batch again. */
interface Item {
  lower: string;
  entry: EntryStat;
}

/** What a listing keeps under the cursor of its next page. */
interface Kept {
  /** The folder keys the listing gave so far (see ListedKeys), for a recursive listing's next batch. */
  known: [string, string][];
  /** For a page that ended inside its batch: the rest of the batch, and the Dropbox cursor after the batch. */
  rest?: { items: Item[]; after: string | undefined };
}

/**
 * Where a page that ended inside its batch stopped: the batch came from `origin` (the Dropbox cursor it was asked
 * with; `''`: the listing's first call, files/list_folder) and the page's last entry was `last` (its `path_lower`).
 */
interface Inside {
  origin: string;
  last: string;
}

/** What the lister needs of its backend. */
export interface ListerSite {
  client: DropboxClient;
  paths: DropboxPaths;
  mountName: string;
  protocol: string;
  /** The options of an SDK call: its signal and timeout. */
  request(signal?: AbortSignal): { signal?: AbortSignal; timeout: number };
  /** The context of a `list` of `key`. */
  context(key: string): ErrorContext;
  /** Whether a file (not a folder, not nothing) is at `key`. */
  isFile(key: string): Promise<boolean>;
}

/**
 * Dropbox listings (files/list_folder, then /continue with its cursor), one page at a time, never more than
 * `pageSize` entries: Dropbox's `limit` is approximate and a batch may hold more. What a batch holds beyond the page
 * is kept (10 minutes, 16 listings a mount) under the cursor of the next page, which hands it out before asking
 * Dropbox for more; a cursor whose rest is gone asks for that batch again and resumes after the page's last entry
 * (all of the batch when that entry is no longer in it: entries may come twice, none is lost).
 */
export class DropboxLister {
  readonly #kept = new ListingRest<Kept>(10 * 60_000, 16);

  constructor(private readonly site: ListerSite) {}

  async list(key: string, options: ListOptions = {}): Promise<ListPage> {
    const context = this.site.context(key);
    const path = this.site.paths.toPath(key);
    const refuse = (detail: string) => invalid(context, detail, undefined);
    const pageSize = Math.min(MAX_PAGE, pageSizeOf(options, refuse, MAX_PAGE));
    const recursive = options.recursive ?? false;
    const self = path.toLowerCase();
    // The cursor is bound to this listing: the folder's Dropbox path (the mount root and the key, in any case, as
    // Dropbox compares them) and recursive or not; one of another listing is refused.
    const listing: CursorListing = { key, recursive, scope: self, refuse };
    const token = options.cursor ? tokenOf(options.cursor, listing) : undefined;
    const inside = token === undefined ? undefined : insideOf(token, refuse);
    const kept = options.cursor === undefined ? undefined : this.#kept.take(path, options.cursor)?.[0];
    const keys = new ListedKeys(this.site.paths, key, self, new Map(kept?.known));
    // The Dropbox cursor the batch comes from ('' for files/list_folder).
    const origin = inside?.origin ?? token ?? '';
    let items: Item[];
    let after: string | undefined;
    if (inside !== undefined && kept?.rest !== undefined) {
      ({ items, after } = kept.rest);
    } else {
      const batch = await this.#batch(key, path, recursive, pageSize, origin, context, options.signal);
      if (batch === undefined) return { entries: [] };
      items = this.#itemsOf(batch.entries, keys, self);
      after = batch.has_more ? batch.cursor : undefined;
      if (inside !== undefined) items = items.slice(items.findIndex((item) => item.lower === inside.last) + 1);
    }
    if (items.length > pageSize) {
      const page = items.slice(0, pageSize);
      const next: Inside = { origin, last: page.at(-1)!.lower };
      const cursor = bindToken(JSON.stringify(next), listing);
      this.#kept.keep(path, cursor, [{ known: [...keys.known], rest: { items: items.slice(pageSize), after } }]);
      return { entries: page.map((item) => item.entry), cursor };
    }
    const entries = items.map((item) => item.entry);
    if (after === undefined) return { entries };
    const cursor = bindToken(after, listing);
    if (recursive) this.#kept.keep(path, cursor, [{ known: [...keys.known] }]);
    return { entries, cursor };
  }

  /** One batch: files/list_folder (`origin` '') or /continue; undefined when no folder is at the key. */
  async #batch(
    key: string,
    path: string,
    recursive: boolean,
    limit: number,
    origin: string,
    context: ErrorContext,
    signal: AbortSignal | undefined,
  ): Promise<files.ListFolderResult | undefined> {
    const { sdk } = this.site.client;
    try {
      return origin !== ''
        ? (await sdk.filesListFolderContinue({ cursor: origin }, this.site.request(signal))).result
        : (await sdk.filesListFolder({ path, recursive, limit, include_deleted: false }, this.site.request(signal)))
            .result;
    } catch (err) {
      const error = dropboxError(err, context);
      if (origin !== '') throw error;
      // A missing folder lists as empty. not_folder: a file is at the key (refused, as on every backend with
      // folders), or above it (then nothing is at the key).
      if (error.code === 'NOT_FOUND') return undefined;
      if (hasSummary(error, /not_folder/)) {
        if (await this.site.isFile(key)) throw invalid(context, `"${key}" is a file, not a folder`, error);
        return undefined;
      }
      throw error;
    }
  }

  /** The entries of a batch as pages hand them out (not the folder itself, nor deleted entries). */
  #itemsOf(entries: files.ListFolderResult['entries'], keys: ListedKeys, self: string): Item[] {
    const items: Item[] = [];
    for (const entry of entries) {
      // Recursive listings include the folder itself.
      if (entry.path_lower === self) continue;
      const stat = statOf(keys.keyOf(entry), entry);
      if (!stat) continue;
      const lower = entry.path_lower ?? stat.key.toLowerCase();
      // A name not in NFC (written from a Mac) is reached by no path: reported, as Azure and S3 report such keys.
      const site = { mount: this.site.mountName, protocol: this.site.protocol };
      items.push({ lower, entry: isAddressable(stat.key) ? stat : unaddressableEntry(site, stat.key) });
    }
    return items;
  }
}

/** The place inside a batch a page token names (`{"origin":…,"last":…}`); undefined for a Dropbox cursor. */
function insideOf(token: string, refuse: (detail: string) => Error): Inside | undefined {
  // Dropbox cursors are base64: never JSON objects.
  if (!token.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(token);
  } catch {
    // refused below
  }
  const { origin, last } = (parsed ?? {}) as Partial<Record<keyof Inside, unknown>>;
  if (typeof origin !== 'string' || typeof last !== 'string') throw refuse('invalid list cursor');
  return { origin, last };
}
