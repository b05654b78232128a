/**
 * What every @org/storage bench shares: settings from the environment, the subject interface, bounded concurrency,
 * generated data, the measuring loop (warm-up, then `runs` rounds with the subjects interleaved) and the tables.
 */
import { randomFillSync } from 'node:crypto';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';

const MiB = 1024 * 1024;

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got ${JSON.stringify(raw)}`);
  return value;
}

/** Bench settings (UFS_BENCH_*). */
export const settings = {
  smallFiles: Math.floor(positive('UFS_BENCH_SMALL_FILES', 1000)),
  smallBytes: Math.floor(positive('UFS_BENCH_SMALL_BYTES', 1024)),
  largeBytes: Math.floor(positive('UFS_BENCH_LARGE_MB', 1024) * MiB),
  runs: Math.max(1, Math.floor(positive('UFS_BENCH_RUNS', 3))),
  concurrency: Math.max(1, Math.floor(positive('UFS_BENCH_CONCURRENCY', 16))),
  /** Small files are spread over this many folders (`d0/…`), so that listings are recursive for real. */
  folders: Math.max(1, Math.floor(positive('UFS_BENCH_FOLDERS', 10))),
  /** `local`, `s3`, `sftp`, `list` or all (default). */
  only: process.env.UFS_BENCH_ONLY ?? '',
  /** Comma-separated subject names to run (default all): for profiling one subject. */
  subjects: (process.env.UFS_BENCH_SUBJECTS ?? '').split(',').filter((s) => s !== ''),
};

export const OPERATIONS = ['writeSmall', 'readSmall', 'statSmall', 'list', 'writeLarge', 'readLarge'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const OPERATION_LABELS: Record<Operation, string> = {
  writeSmall: `write ${settings.smallFiles} × ${settings.smallBytes} B`,
  readSmall: `read ${settings.smallFiles} × ${settings.smallBytes} B`,
  statSmall: `stat ${settings.smallFiles}`,
  list: `list recursive (${settings.smallFiles} files)`,
  writeLarge: `stream write ${settings.largeBytes / MiB} MiB`,
  readLarge: `stream read ${settings.largeBytes / MiB} MiB`,
};

/** The small file at index i: spread over `folders` folders. */
export function smallKey(i: number): string {
  return `d${i % settings.folders}/f${i}.bin`;
}

/**
 * One library under test. `begin(run)` gives it a fresh, empty place for that run (a folder or a key prefix);
 * operations missing from a subject are not measured for it. `end()` removes what the run wrote (not timed).
 */
export interface Subject {
  name: string;
  /** Why an operation is not measured for this subject (shown in the table). */
  notes?: Partial<Record<Operation, string>>;
  begin(run: string): Promise<void>;
  writeSmall?(key: string, data: Buffer): Promise<void>;
  readSmall?(key: string): Promise<Buffer | Uint8Array>;
  /** Returns the size the library reports. */
  statSmall?(key: string): Promise<number>;
  /** Returns how many files it listed. */
  list?(): Promise<number>;
  writeLarge?(source: Readable, size: number): Promise<void>;
  /** Returns the number of bytes read. */
  readLarge?(): Promise<number>;
  end(): Promise<void>;
  /** Called once after all runs. */
  close?(): Promise<void>;
}

/** Runs `task(i)` for i in 0..count-1 with at most `limit` in flight. */
export async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

const block = randomFillSync(Buffer.allocUnsafe(MiB));

/** `size` bytes of generated data as a stream of 1 MiB chunks (one block repeated: nothing is held in memory). */
export function generated(size: number): Readable {
  function* chunks(): Generator<Buffer> {
    for (let left = size; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left);
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** Consumes a stream or async iterable, counting bytes. */
export async function drain(stream: AsyncIterable<Uint8Array | string>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  return bytes;
}

export const smallData = randomFillSync(Buffer.allocUnsafe(settings.smallBytes));

/** One measurement: wall-clock seconds, and this process's CPU seconds (user + system) in that time. */
export interface Sample {
  wall: number;
  cpu: number;
}

/** The samples of each run, per subject and operation. */
export type Timings = Map<string, Map<Operation, Sample[]>>;

function check(subject: string, what: string, ok: boolean): void {
  if (!ok) throw new Error(`${subject}: ${what}`);
}

async function timed(fn: () => Promise<void>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1e6 };
}

/** One round of every operation of a subject, in a fresh place; results are checked. */
async function round(subject: Subject, run: string, before: () => Promise<void>): Promise<Map<Operation, Sample>> {
  const n = settings.smallFiles;
  const c = settings.concurrency;
  const out = new Map<Operation, Sample>();
  const measure = async (op: Operation, fn: () => Promise<void>) => {
    await before();
    out.set(op, await timed(fn));
  };
  await subject.begin(run);
  try {
    const { writeLarge, readLarge } = subject;
    // With UFS_BENCH_SMALL_FILES=0 only the large file is measured.
    const { writeSmall, readSmall, statSmall, list } = n > 0 ? subject : {};
    if (writeSmall)
      await measure('writeSmall', () => pool(n, c, (i) => writeSmall.call(subject, smallKey(i), smallData)));
    if (readSmall) {
      await measure('readSmall', () =>
        pool(n, c, async (i) => {
          const bytes = await readSmall.call(subject, smallKey(i));
          check(subject.name, `read ${smallKey(i)}: ${bytes.length} bytes`, bytes.length === smallData.length);
        }),
      );
    }
    if (statSmall) {
      await measure('statSmall', () =>
        pool(n, c, async (i) => {
          const size = await statSmall.call(subject, smallKey(i));
          check(subject.name, `stat ${smallKey(i)}: size ${size}`, size === smallData.length);
        }),
      );
    }
    if (list) {
      await measure('list', async () => {
        const files = await list.call(subject);
        check(subject.name, `listed ${files} files, wrote ${n}`, files === n);
      });
    }
    if (settings.largeBytes > 0 && writeLarge) {
      await measure('writeLarge', () => writeLarge.call(subject, generated(settings.largeBytes), settings.largeBytes));
    }
    if (settings.largeBytes > 0 && readLarge) {
      await measure('readLarge', async () => {
        const bytes = await readLarge.call(subject);
        check(subject.name, `read ${bytes} bytes of the large file`, bytes === settings.largeBytes);
      });
    }
  } finally {
    await subject.end();
  }
  return out;
}

/**
 * Warm-up round (not counted), then `runs` rounds; in each round the subjects take turns, so that drift (page
 * cache, server garbage collection) hits all of them alike. `before` runs (untimed) before each measured operation.
 */
export async function measureAll(
  subjects: readonly Subject[],
  options: {
    before?: () => Promise<void>;
    /** Runs (untimed) after each subject's round, once it has removed what it wrote. */
    afterRound?: () => Promise<void>;
    log?: (line: string) => void;
  } = {},
): Promise<Timings> {
  const before = options.before ?? (async () => undefined);
  const timings: Timings = new Map(subjects.map((s) => [s.name, new Map()]));
  for (let r = 0; r <= settings.runs; r++) {
    for (const subject of subjects) {
      const result = await round(subject, `run${r}`, before);
      await options.afterRound?.();
      if (r === 0) continue; // warm-up
      for (const [op, sample] of result) {
        const list = timings.get(subject.name)!.get(op) ?? [];
        list.push(sample);
        timings.get(subject.name)!.set(op, list);
      }
    }
    const load = loadavg()[0]!.toFixed(1);
    options.log?.(`  ${r === 0 ? 'warm-up' : `run ${r}/${settings.runs}`} done (load average ${load})`);
  }
  return timings;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A row of a comparison table: `ours` against `baseline` for one operation. */
export interface Comparison {
  op: Operation;
  ours: string;
  baseline: string;
  /** `raw`: ours ≤ 1.15 × baseline; `peer`: ours faster than the baseline; `info`: no target. */
  kind: 'raw' | 'peer' | 'info';
}

function describeTime(op: Operation, seconds: number): string {
  if (op === 'writeLarge' || op === 'readLarge') {
    return `${seconds.toFixed(3)} s ${((settings.largeBytes / MiB / seconds) | 0).toString().padStart(5)} MiB/s`;
  }
  if (op === 'list') return `${(seconds * 1000).toFixed(1)} ms`;
  return `${(seconds * 1000).toFixed(1)} ms ${((settings.smallFiles / seconds) | 0).toString().padStart(6)}/s`;
}

const RAW_TARGET = 1.15;

export const LEGEND =
  `best of ${settings.runs} runs after 1 warm-up; ratio = ours / baseline (best times), median = the same with ` +
  'median times, cpu = the same with the CPU time of this process (best run)';

interface Summary {
  best: number;
  median: number;
  bestCpu: number;
}

function summary(timings: Timings, subject: string, op: Operation): Summary | undefined {
  const samples = timings.get(subject)?.get(op);
  if (!samples || samples.length === 0) return undefined;
  const walls = samples.map((s) => s.wall);
  return { best: Math.min(...walls), median: median(walls), bestCpu: Math.min(...samples.map((s) => s.cpu)) };
}

/**
 * Prints the comparison table and returns the rows that miss their target. Targets are judged on the best run
 * (the least disturbed by other load on the machine); the median ratio and the ratio of CPU time used by this
 * process (best run) are shown beside it.
 */
export function printTable(title: string, timings: Timings, rows: readonly Comparison[]): string[] {
  const misses: string[] = [];
  const header = [
    'operation',
    'ours',
    'ours (best)',
    'baseline',
    'baseline (best)',
    'ratio',
    'median',
    'cpu',
    'target',
  ];
  const lines: string[][] = [header];
  for (const row of rows) {
    const ours = summary(timings, row.ours, row.op);
    const base = summary(timings, row.baseline, row.op);
    if (ours === undefined || base === undefined) continue;
    const ratio = ours.best / base.best;
    const target = row.kind === 'raw' ? `≤ ${RAW_TARGET}` : row.kind === 'peer' ? '< 1' : '—';
    const ok = row.kind === 'raw' ? ratio <= RAW_TARGET : row.kind === 'peer' ? ratio < 1 : true;
    if (!ok) misses.push(`${OPERATION_LABELS[row.op]}: ${row.ours} ${ratio.toFixed(2)}× ${row.baseline}`);
    lines.push([
      OPERATION_LABELS[row.op],
      row.ours,
      describeTime(row.op, ours.best),
      row.baseline,
      describeTime(row.op, base.best),
      `${ratio.toFixed(2)}×`,
      `${(ours.median / base.median).toFixed(2)}×`,
      `${(ours.bestCpu / base.bestCpu).toFixed(2)}×`,
      `${target}${row.kind === 'info' ? '' : ok ? ' ok' : ' MISS'}`,
    ]);
  }
  const widths = header.map((_, col) => Math.max(...lines.map((l) => l[col]!.length)));
  const numeric = new Set([2, 4, 5, 6, 7]);
  console.log(`\n${title}`);
  lines.forEach((cells, i) => {
    const padded = cells.map((cell, col) =>
      numeric.has(col) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!),
    );
    console.log(`  ${padded.join('  ')}`.trimEnd());
    if (i === 0) console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  });
  return misses;
}

/** Every subject's runs, for the record (seconds, in run order). */
export function printRuns(timings: Timings): void {
  console.log('  all runs (wall s):');
  for (const [subject, ops] of timings) {
    const parts = [...ops].map(([op, runs]) => `${op} ${runs.map((s) => s.wall.toFixed(3)).join('/')}`);
    console.log(`    ${subject}: ${parts.join('; ')}`);
  }
}

/** Notes of subjects that skip operations. */
export function printNotes(subjects: readonly Subject[]): void {
  for (const subject of subjects) {
    for (const [op, why] of Object.entries(subject.notes ?? {})) {
      console.log(`  ${subject.name}: ${OPERATION_LABELS[op as Operation]} not measured: ${why}`);
    }
  }
}

/** The subject with only some of its operations (the others are the same code as another subject's). */
export function restricted(subject: Subject, ops: readonly Operation[]): Subject {
  const out: Subject = {
    name: subject.name,
    notes: subject.notes,
    begin: (run) => subject.begin(run),
    end: () => subject.end(),
    close: async () => subject.close?.(),
  };
  const methods = out as unknown as Record<Operation, unknown>;
  for (const op of ops) {
    const fn = subject[op] as ((...args: unknown[]) => unknown) | undefined;
    if (fn) methods[op] = fn.bind(subject);
  }
  return out;
}

export function selected<T extends Subject>(subjects: readonly T[]): T[] {
  return settings.subjects.length === 0 ? [...subjects] : subjects.filter((s) => settings.subjects.includes(s.name));
}
