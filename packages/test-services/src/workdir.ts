import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, killPidsSync, stopPids } from './processes.js';

/**
 * A throwaway folder for one service instance. It records who owns it and which daemons run from it, so a later
 * run can clean up after a test process that was killed outright (SIGKILL leaves no chance for exit hooks).
 */
export interface WorkDir {
  readonly path: string;
  /** Records a daemon started with this folder as its working directory. */
  addPid(pid: number): void;
  readonly pids: readonly number[];
}

const MARKER = 'ufs-test-services.json';

interface Marker {
  ownerPid: number;
  ownerStart: string;
  pids: number[];
}

/** The start time of a process (field 22 of /proc/<pid>/stat), to tell a live owner from a reused pid. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function createWorkDir(kind: string, baseDir = tmpdir()): WorkDir {
  const path = mkdtempSync(join(baseDir, `ufs-test-${kind}-`));
  const marker: Marker = { ownerPid: process.pid, ownerStart: processStart(process.pid) ?? '', pids: [] };
  const save = (): void => writeFileSync(join(path, MARKER), JSON.stringify(marker));
  save();
  return {
    path,
    addPid(pid) {
      marker.pids.push(pid);
      save();
    },
    get pids() {
      return marker.pids;
    },
  };
}

/** Pids among `pids` that are alive and still run from `dir` (so a reused pid of another program is never hit). */
function daemonsOf(dir: string, pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    if (!isAlive(pid)) return false;
    try {
      return readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '') === dir;
    } catch {
      return false;
    }
  });
}

/** Stops the folder's daemons (SIGTERM, SIGKILL after `graceMs`) and removes the folder. */
export async function destroyWorkDir(dir: WorkDir, graceMs: number): Promise<void> {
  await stopPids(daemonsOf(dir.path, dir.pids), graceMs);
  rmSync(dir.path, { recursive: true, force: true });
}

/** Synchronous variant for exit hooks: SIGKILL, no waiting. */
export function destroyWorkDirSync(dir: WorkDir): void {
  killPidsSync(daemonsOf(dir.path, dir.pids));
  rmSync(dir.path, { recursive: true, force: true });
}

/**
 * Removes folders of `kind` left by test processes that no longer exist, killing their daemons first.
 * Returns the folders removed.
 */
export async function reapOrphans(kind: string, baseDir = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(baseDir).filter((n) => n.startsWith(`ufs-test-${kind}-`));
  } catch {
    return removed;
  }
  for (const name of names) {
    const path = join(baseDir, name);
    let marker: Marker;
    try {
      marker = JSON.parse(readFileSync(join(path, MARKER), 'utf8')) as Marker;
    } catch {
      continue; // not ours, or being created right now
    }
    const ownerAlive = isAlive(marker.ownerPid) && processStart(marker.ownerPid) === marker.ownerStart;
    if (ownerAlive) continue;
    await stopPids(daemonsOf(path, marker.pids), 2_000);
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
