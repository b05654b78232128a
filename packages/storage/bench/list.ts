/**
 * Bench 4: listing a big local folder. `storage.node(…).list()` (pages of 1000, as `ufs ls` reads them) and
 * `backend.list()` followed page by page, against `fs.readdir` + `fs.stat` of each entry (the same information: every
 * entry sorted, with its size and mtime) in this process, on UFS_BENCH_LIST_ENTRIES empty files (100000): one flat
 * folder, and a tree of the same number of files in UFS_BENCH_LIST_FOLDERS folders (100), listed recursively.
 * The folders are made once, then left SETTLED_MS alone: a folder read right after it changed is read again at each
 * page until then (see WalkRests in src/backends/local/walk-rests.ts), which a listing of a folder made seconds ago
 * pays.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SETTLED_MS } from '../src/backends/local/list.js';
import { StorageManager } from '../src/index.js';
import { median, pool, settings, type Sample } from './harness.js';

function count(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${raw}`);
  return value;
}

const ENTRIES = count('UFS_BENCH_LIST_ENTRIES', 100_000);
const FOLDERS = count('UFS_BENCH_LIST_FOLDERS', 100);

async function timed(fn: () => Promise<number>, expected: number, what: string): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const n = await fn();
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  if (n !== expected) throw new Error(`${what}: listed ${n} entries, expected ${expected}`);
  return { wall, cpu: (used.user + used.system) / 1e6 };
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The baseline: readdir, sorted, and a stat of each entry in turn, depth first; returns how many entries. */
async function readdirStat(dir: string, recursive: boolean): Promise<number> {
  const dirents = (await readdir(dir, { withFileTypes: true })).sort(byName);
  let n = 0;
  for (const dirent of dirents) {
    const path = join(dir, dirent.name);
    const stats = await stat(path);
    n++;
    if (recursive && stats.isDirectory()) n += await readdirStat(path, true);
  }
  return n;
}

/** The same, names only (`readdir`, no stat): less than a listing returns, for scale. */
async function readdirOnly(dir: string, recursive: boolean): Promise<number> {
  return (await readdir(dir, { recursive, withFileTypes: true })).length;
}

async function makeFiles(dir: string, names: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await pool(names.length, 64, (i) => writeFile(join(dir, names[i]!), ''));
}

const fileName = (i: number) => `file-${String(i).padStart(6, '0')}.txt`;

/** Runs bench 4 and prints its table. No target: the ratio is reported. */
export async function benchList(): Promise<string[]> {
  const base = await mkdtemp(join(process.env.UFS_BENCH_DIR ?? tmpdir(), 'ufs-bench-list-'));
  const perFolder = Math.ceil(ENTRIES / FOLDERS);
  console.log(
    `\n[list] ${ENTRIES} empty files in one folder, and in ${FOLDERS} folders (recursive); dir ${base}; ` +
      `${settings.runs} runs + 1 warm-up`,
  );
  const storage = new StorageManager();
  try {
    await makeFiles(
      join(base, 'flat'),
      Array.from({ length: ENTRIES }, (_, i) => fileName(i)),
    );
    for (let f = 0; f < FOLDERS; f++) {
      const names = Array.from({ length: Math.min(perFolder, ENTRIES - f * perFolder) }, (_, i) => fileName(i));
      await makeFiles(join(base, 'tree', `d${String(f).padStart(3, '0')}`), names);
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLED_MS + 100));
    await storage.configure([{ name: 'bench', protocol: 'local', root: base }]);
    const backend = storage.resolveMount('bench').backend();
    const cases = [
      { label: `one folder of ${ENTRIES}`, key: 'flat', recursive: false, expected: ENTRIES },
      { label: `${FOLDERS} folders, recursive`, key: 'tree', recursive: true, expected: ENTRIES + FOLDERS },
    ];
    const subjects: Array<[string, (c: (typeof cases)[number]) => Promise<number>]> = [
      [
        'ours: node list()',
        async ({ key, recursive }) => {
          let n = 0;
          for await (const _ of storage.node(`bench:${key}`).list({ recursive })) n++;
          return n;
        },
      ],
      [
        'ours: backend.list pages of 1000',
        async ({ key, recursive }) => {
          let n = 0;
          let cursor: string | undefined;
          do {
            const page = await backend.list(key, { recursive, pageSize: 1000, cursor });
            n += page.entries.length;
            cursor = page.cursor;
          } while (cursor !== undefined);
          return n;
        },
      ],
      ['node:fs readdir + stat each', ({ key, recursive }) => readdirStat(join(base, key), recursive)],
      ['node:fs readdir only', ({ key, recursive }) => readdirOnly(join(base, key), recursive)],
    ];
    for (const c of cases) {
      const samples = new Map<string, Sample[]>(subjects.map(([name]) => [name, []]));
      for (let run = 0; run <= settings.runs; run++) {
        for (const [name, list] of subjects) {
          const sample = await timed(() => list(c), c.expected, name);
          if (run > 0) samples.get(name)!.push(sample);
        }
      }
      const baseline = samples.get('node:fs readdir + stat each')!;
      const baseBest = Math.min(...baseline.map((s) => s.wall));
      const baseCpu = Math.min(...baseline.map((s) => s.cpu));
      console.log(
        `\n  ${c.label} (ratio = time / node:fs readdir + stat each, best runs; cpu = the same with CPU time)`,
      );
      for (const [name, runs] of samples) {
        const walls = runs.map((s) => s.wall);
        const best = Math.min(...walls);
        const cpu = Math.min(...runs.map((s) => s.cpu));
        console.log(
          `    ${name.padEnd(34)} best ${(best * 1000).toFixed(0).padStart(6)} ms, median ` +
            `${(median(walls) * 1000).toFixed(0).padStart(6)} ms, cpu ${(cpu * 1000).toFixed(0).padStart(6)} ms: ` +
            `${(best / baseBest).toFixed(2)}× (cpu ${(cpu / baseCpu).toFixed(2)}×)`,
        );
      }
    }
  } finally {
    await storage.dispose();
    await rm(base, { recursive: true, force: true });
  }
  return [];
}
