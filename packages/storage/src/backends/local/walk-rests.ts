// Walks kept between the pages of a local listing (`WalkRests`), and one page of a walk (`pageOfWalk`): a listing
// read page after page reads each folder once. The walk itself is `walk` in list.ts.
import { stat } from 'node:fs/promises';
import type { EntryStat, ListPage } from '@org/core';
import { SETTLED_MS, type FolderStamp, type WalkOptions } from './list.js';

/** A walk stopped after a page, to resume at the next page: the entry it peeked at, and the folders it holds. */
export interface WalkRest {
  walk: AsyncGenerator<EntryStat>;
  /** The first entry of the next page (peeked to know there is one; described again when resumed, see refresh). */
  next?: EntryStat;
  options: WalkOptions & { open: FolderStamp[] };
}

/**
 * The entry peeked by a kept walk, described again when its walk is resumed: the stat of an entry is taken during the
 * page that lists it (a file written to between two pages is listed as it is now). Undefined when it is gone.
 */
async function refresh(entry: EntryStat, options: WalkOptions): Promise<EntryStat | undefined> {
  const last = options.lastYielded;
  if (entry.isDir || last?.entry !== entry) return entry;
  const found = await last.again();
  if (found) options.lastYielded = { entry: found.entry, again: last.again };
  return found?.entry;
}

function settled(stamp: FolderStamp): boolean {
  return Math.max(stamp.mtimeMs, stamp.ctimeMs) <= stamp.readAt - SETTLED_MS;
}

async function unchanged(stamp: FolderStamp): Promise<boolean> {
  const now = await stat(stamp.path).catch(() => undefined);
  return now?.ino === stamp.ino && now.mtimeMs === stamp.mtimeMs && now.ctimeMs === stamp.ctimeMs;
}

function end(rest: WalkRest): void {
  rest.walk.return(undefined).catch(() => undefined);
}

/**
 * Walks kept between the pages of listings (as the SFTP backend keeps the rest of a folder it read whole): a listing
 * read page after page reads each folder once, not once a page. A rest is taken once, by the cursor its page
 * returned, and only while every folder it holds is unchanged since it was read; else (expired, evicted, changed, or
 * read too soon after its last change) the next page walks again from the cursor, as without it. A rest holds what
 * the walk holds: the names of the folders on its way down.
 */
export class WalkRests {
  readonly #rests = new Map<string, { rest: WalkRest; timer: NodeJS.Timeout }>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly max = 16,
  ) {}

  /** Keeps `rest` for the page after `cursor`; a rest holding a folder read right after it changed is not kept. */
  keep(id: string, rest: WalkRest): void {
    if (!rest.options.open.every(settled)) return end(rest);
    this.#drop(id);
    if (this.#rests.size >= this.max) this.#drop(this.#rests.keys().next().value!);
    const timer = setTimeout(() => this.#drop(id), this.ttlMs);
    timer.unref();
    this.#rests.set(id, { rest, timer });
  }

  /** The rest kept under `id`, once, when the folders it holds are unchanged. */
  async take(id: string): Promise<WalkRest | undefined> {
    const kept = this.#rests.get(id);
    if (!kept) return undefined;
    this.#rests.delete(id);
    clearTimeout(kept.timer);
    const same = await Promise.all(kept.rest.options.open.map(unchanged));
    if (same.every(Boolean)) {
      const { rest } = kept;
      rest.options.page = (rest.options.page ?? 0) + 1;
      try {
        rest.next = rest.next && (await refresh(rest.next, rest.options));
      } catch (err) {
        end(rest);
        throw err;
      }
      return rest;
    }
    end(kept.rest);
    return undefined;
  }

  #drop(id: string): void {
    const kept = this.#rests.get(id);
    if (!kept) return;
    this.#rests.delete(id);
    clearTimeout(kept.timer);
    end(kept.rest);
  }
}

/**
 * One page of a walk (a new one, or a kept one with its peeked entry first): `size` entries and, when one more
 * follows, the cursor made by `cursorOf` from the last, under which `keep` keeps the walk for the next page. `skip`
 * leaves out entries a new walk gives that the cursor already returned.
 */
export async function pageOfWalk(
  from: { walk: AsyncGenerator<EntryStat>; next?: EntryStat; options: WalkRest['options'] },
  size: number,
  cursorOf: (lastKey: string) => string,
  keep: (cursor: string, rest: WalkRest) => void,
  skip?: (entry: EntryStat) => boolean,
): Promise<ListPage> {
  const entries: EntryStat[] = from.next ? [from.next] : [];
  for (let step = await from.walk.next(); step.done !== true; step = await from.walk.next()) {
    if (skip?.(step.value)) continue;
    if (entries.length === size) {
      const cursor = cursorOf(entries[size - 1]!.key);
      keep(cursor, { walk: from.walk, next: step.value, options: from.options });
      return { entries, cursor };
    }
    entries.push(step.value);
  }
  return { entries };
}
