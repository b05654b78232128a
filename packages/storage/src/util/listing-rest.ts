/**
 * The rest of a listing that a protocol without paging (WebDAV's PROPFIND) answered whole: kept briefly under the
 * cursor of its next page, so that reading a large folder page by page costs one request, not one a page (each
 * re-reading the whole folder). A cursor whose rest expired or was evicted still works: the folder is read again.
 */
export class ListingRest<T> {
  readonly #rests = new Map<string, { entries: T[]; expires: number }>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly max = 16,
  ) {}

  /** The entries after `cursor` of listing `id`, once (a page is read once). */
  take(id: string, cursor: string): T[] | undefined {
    const name = `${id}\u0000${cursor}`;
    const rest = this.#rests.get(name);
    this.#rests.delete(name);
    return rest && rest.expires > Date.now() ? rest.entries : undefined;
  }

  keep(id: string, cursor: string, entries: T[]): void {
    if (this.#rests.size >= this.max) this.#rests.delete(this.#rests.keys().next().value!);
    this.#rests.set(`${id}\u0000${cursor}`, { entries, expires: Date.now() + this.ttlMs });
  }
}
