import { basename, dirname } from 'node:path';

/**
 * Rows keyed by (folder, name) read a folder at a time, a few folders kept in memory: the walk yields a folder's
 * files together, so a scan asks about each file with one query per folder, not one per file. Used by the hash
 * cache and by the memory of records sent.
 */
export class FolderRows<V> {
  private readonly folders = new Map<string, Map<string, V>>();

  constructor(
    /** The rows of one folder, as (name, value). */
    private readonly load: (dir: string) => Iterable<readonly [string, V]>,
    private readonly kept = 64,
  ) {}

  get(path: string): V | undefined {
    const dir = dirname(path);
    let folder = this.folders.get(dir);
    if (!folder) {
      folder = new Map(this.load(dir));
      if (this.folders.size >= this.kept) this.folders.delete(this.folders.keys().next().value!);
      this.folders.set(dir, folder);
    }
    return folder.get(basename(path));
  }

  /** Keeps a folder already in memory in step with a row just written. */
  update(path: string, value: V): void {
    this.folders.get(dirname(path))?.set(basename(path), value);
  }
}
