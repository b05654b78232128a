/**
 * Bench 1: the `local` backend (through StorageManager and nodes) against `node:fs/promises` used directly, and
 * against flydrive's FS driver and unstorage's fs driver, each in its own folder of one temp dir.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { Disk } from 'flydrive';
import { FSDriver } from 'flydrive/drivers/fs';
import { createStorage, type Storage } from 'unstorage';
import fsDriver from 'unstorage/drivers/fs';
import { StorageManager } from '../src/index.js';
import {
  drain,
  measureAll,
  printNotes,
  printRuns,
  printTable,
  LEGEND,
  restricted,
  selected,
  settings,
  type Comparison,
  type Subject,
} from './harness.js';

const NO_STREAMS = 'unstorage has no stream API (setItemRaw/getItemRaw take and return whole values in memory)';

/** A subject writing into `<base>/<slug>/<run>/`. */
abstract class InFolder implements Subject {
  abstract name: string;
  protected dir = '';
  constructor(private readonly base: string) {}
  protected get slug(): string {
    return this.name.replace(/[^a-z0-9]+/gi, '-');
  }
  async begin(run: string): Promise<void> {
    this.dir = join(this.base, this.slug, run);
    await mkdir(this.dir, { recursive: true });
  }
  async end(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The minimal direct code: parents made once per folder, writeFile/readFile/stat, a readdir+stat walk. */
class RawFs extends InFolder {
  name = 'node:fs';
  private made = new Map<string, Promise<unknown>>();
  override async begin(run: string): Promise<void> {
    await super.begin(run);
    this.made.clear();
  }
  protected parent(path: string): Promise<unknown> {
    const dir = dirname(path);
    let made = this.made.get(dir);
    if (!made) this.made.set(dir, (made = mkdir(dir, { recursive: true })));
    return made;
  }
  async writeSmall(key: string, data: Buffer): Promise<void> {
    const path = join(this.dir, key);
    await this.parent(path);
    await writeFile(path, data);
  }
  readSmall(key: string): Promise<Buffer> {
    return readFile(join(this.dir, key));
  }
  async statSmall(key: string): Promise<number> {
    return (await stat(join(this.dir, key))).size;
  }
  /** Same information as ours: every entry with its stat (size, mtime), depth-first in sorted order. */
  async list(): Promise<number> {
    const walk = async (dir: string): Promise<number> => {
      const dirents = await readdir(dir, { withFileTypes: true });
      dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      let files = 0;
      for (const dirent of dirents) {
        const path = join(dir, dirent.name);
        const stats = await stat(path);
        if (stats.isFile()) files++;
        if (stats.isDirectory()) files += await walk(path);
      }
      return files;
    };
    return walk(this.dir);
  }
  async writeLarge(source: Readable): Promise<void> {
    await pipeline(source, createWriteStream(join(this.dir, 'large.bin')));
  }
  readLarge(): Promise<number> {
    return drain(createReadStream(join(this.dir, 'large.bin')));
  }
}

/** node:fs, listing names only (`readdir({ recursive: true })`, no stat): less than ours returns. */
class RawReaddir extends RawFs {
  override name = 'node:fs readdir only';
  override async list(): Promise<number> {
    const entries = await readdir(this.dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).length;
  }
}

/** What ours does, written directly: a temporary file in the same folder, optionally fsynced, renamed over. */
class RawAtomic extends RawFs {
  override name: string;
  private counter = 0;
  constructor(
    base: string,
    private readonly fsync: boolean,
  ) {
    super(base);
    this.name = fsync ? 'node:fs temp+fsync+rename' : 'node:fs temp+rename';
  }
  private temp(path: string): string {
    return join(dirname(path), `.tmp-${process.pid}-${this.counter++}`);
  }
  override async writeSmall(key: string, data: Buffer): Promise<void> {
    const path = join(this.dir, key);
    await this.parent(path);
    const temp = this.temp(path);
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      if (this.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  }
  override async writeLarge(source: Readable): Promise<void> {
    const path = join(this.dir, 'large.bin');
    const temp = this.temp(path);
    await pipeline(source, createWriteStream(temp, { flags: 'wx', flush: this.fsync }));
    await rename(temp, path);
  }
}

/** Ours: a `local` mount on the folder, every operation through `storage.node(…)`. */
class Ours extends InFolder {
  name: string;
  private storage = new StorageManager();
  private ready: Promise<void> | undefined;
  private run = '';
  constructor(
    private readonly root: string,
    private readonly fsync: boolean | undefined,
  ) {
    super(root);
    this.name = fsync === undefined ? 'ours (default: fsync)' : `ours fsync:${fsync}`;
  }
  override async begin(run: string): Promise<void> {
    this.ready ??= this.storage.configure([
      { name: 'bench', protocol: 'local', root: this.root, ...(this.fsync === undefined ? {} : { fsync: this.fsync }) },
    ]);
    await this.ready;
    await super.begin(run);
    this.run = run;
  }
  /** The node of a key of this run: `bench:<slug>/<run>/<key>` (the mount root is the base folder). */
  private node(key: string) {
    return this.storage.node(`bench:${this.slug}/${this.run}`, ...(key === '' ? [] : [key]));
  }
  async writeSmall(key: string, data: Buffer): Promise<void> {
    await this.node(key).writeBytes(data);
  }
  readSmall(key: string): Promise<Buffer> {
    return this.node(key).readBytes();
  }
  async statSmall(key: string): Promise<number> {
    return (await this.node(key).stat()).size;
  }
  async list(): Promise<number> {
    let files = 0;
    for await (const node of this.node('').list({ recursive: true })) if (node.listed?.isFile) files++;
    return files;
  }
  async writeLarge(source: Readable): Promise<void> {
    await this.node('large.bin').write(source);
  }
  readLarge(): Promise<number> {
    return drain(this.node('large.bin').createReadStream());
  }
  async close(): Promise<void> {
    await this.storage.dispose();
  }
}

class Flydrive extends InFolder {
  name = 'flydrive fs';
  private disk!: Disk;
  override async begin(run: string): Promise<void> {
    await super.begin(run);
    this.disk = new Disk(new FSDriver({ location: this.dir, visibility: 'private' }));
  }
  writeSmall(key: string, data: Buffer): Promise<void> {
    return this.disk.put(key, data);
  }
  readSmall(key: string): Promise<Uint8Array> {
    return this.disk.getBytes(key);
  }
  async statSmall(key: string): Promise<number> {
    return (await this.disk.getMetaData(key)).contentLength;
  }
  async list(): Promise<number> {
    const { objects } = await this.disk.listAll('', { recursive: true });
    let files = 0;
    for (const object of objects) if (object.isFile) files++;
    return files;
  }
  writeLarge(source: Readable): Promise<void> {
    return this.disk.putStream('large.bin', source);
  }
  async readLarge(): Promise<number> {
    return drain(await this.disk.getStream('large.bin'));
  }
}

class Unstorage extends InFolder {
  name = 'unstorage fs';
  notes = { writeLarge: NO_STREAMS, readLarge: NO_STREAMS };
  private storage!: Storage;
  override async begin(run: string): Promise<void> {
    await super.begin(run);
    this.storage = createStorage({ driver: fsDriver({ base: this.dir }) });
  }
  writeSmall(key: string, data: Buffer): Promise<void> {
    return this.storage.setItemRaw(key, data);
  }
  async readSmall(key: string): Promise<Buffer> {
    return (await this.storage.getItemRaw<Buffer>(key))!;
  }
  async statSmall(key: string): Promise<number> {
    // nativeOnly: the driver's stat alone (without it unstorage also reads a `<key>$` meta item).
    return (await this.storage.getMeta(key, { nativeOnly: true })).size as number;
  }
  async list(): Promise<number> {
    return (await this.storage.getKeys()).length;
  }
  override async end(): Promise<void> {
    await this.storage.dispose();
    await super.end();
  }
}

const OURS = 'ours (default: fsync)';

const ROWS: Comparison[] = [
  { op: 'writeSmall', ours: OURS, baseline: 'node:fs temp+fsync+rename', kind: 'raw' },
  { op: 'writeSmall', ours: 'ours fsync:false', baseline: 'node:fs temp+rename', kind: 'raw' },
  { op: 'writeSmall', ours: 'ours fsync:false', baseline: 'node:fs', kind: 'info' },
  { op: 'writeSmall', ours: OURS, baseline: 'flydrive fs', kind: 'info' },
  { op: 'writeSmall', ours: 'ours fsync:false', baseline: 'flydrive fs', kind: 'peer' },
  { op: 'writeSmall', ours: 'ours fsync:false', baseline: 'unstorage fs', kind: 'peer' },
  { op: 'readSmall', ours: OURS, baseline: 'node:fs', kind: 'raw' },
  { op: 'readSmall', ours: OURS, baseline: 'flydrive fs', kind: 'peer' },
  { op: 'readSmall', ours: OURS, baseline: 'unstorage fs', kind: 'peer' },
  { op: 'statSmall', ours: OURS, baseline: 'node:fs', kind: 'raw' },
  { op: 'statSmall', ours: OURS, baseline: 'flydrive fs', kind: 'peer' },
  { op: 'statSmall', ours: OURS, baseline: 'unstorage fs', kind: 'peer' },
  { op: 'list', ours: OURS, baseline: 'node:fs', kind: 'raw' },
  { op: 'list', ours: OURS, baseline: 'node:fs readdir only', kind: 'info' },
  { op: 'list', ours: OURS, baseline: 'flydrive fs', kind: 'peer' },
  { op: 'list', ours: OURS, baseline: 'unstorage fs', kind: 'peer' },
  { op: 'writeLarge', ours: OURS, baseline: 'node:fs temp+fsync+rename', kind: 'raw' },
  { op: 'writeLarge', ours: 'ours fsync:false', baseline: 'node:fs temp+rename', kind: 'raw' },
  { op: 'writeLarge', ours: 'ours fsync:false', baseline: 'node:fs', kind: 'info' },
  { op: 'writeLarge', ours: 'ours fsync:false', baseline: 'flydrive fs', kind: 'peer' },
  { op: 'readLarge', ours: OURS, baseline: 'node:fs', kind: 'raw' },
  { op: 'readLarge', ours: OURS, baseline: 'flydrive fs', kind: 'peer' },
];

const syncDisks = promisify(execFile);

/** Runs bench 1 and prints its table; returns the rows that miss their target. */
export async function benchLocal(): Promise<string[]> {
  const base = await mkdtemp(join(process.env.UFS_BENCH_DIR ?? tmpdir(), 'ufs-bench-local-'));
  const subjects = selected<Subject>([
    new RawFs(base),
    restricted(new RawReaddir(base), ['writeSmall', 'list']),
    restricted(new RawAtomic(base, true), ['writeSmall', 'writeLarge']),
    restricted(new RawAtomic(base, false), ['writeSmall', 'writeLarge']),
    new Ours(base, undefined),
    // Reads, stat and listing do not depend on fsync: measured once, on the default mount.
    restricted(new Ours(base, false), ['writeSmall', 'writeLarge']),
    new Flydrive(base),
    new Unstorage(base),
  ]);
  console.log(
    `\n[local] ${settings.smallFiles} files of ${settings.smallBytes} B in ${settings.folders} folders, ` +
      `${settings.concurrency} in flight; large ${settings.largeBytes / 1024 ** 2} MiB; dir ${base}`,
  );
  try {
    // `sync` before each measured operation: no write-back of an earlier operation's dirty pages in its time.
    const timings = await measureAll(subjects, {
      before: async () => void (await syncDisks('sync')),
      log: (line) => console.log(line),
    });
    const misses = printTable(`local backend vs node:fs / flydrive / unstorage — ${LEGEND}`, timings, ROWS);
    printNotes(subjects);
    printRuns(timings);
    return misses;
  } finally {
    for (const subject of subjects) await subject.close?.();
    await rm(base, { recursive: true, force: true });
  }
}
