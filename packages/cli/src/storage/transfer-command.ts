import { Args, type Command } from '@oclif/core';
import { UfsError } from '@org/core';
import type { CopyOptions, CopySummary, StorageNode } from '@org/storage';
import { asUfsError, exitCodeForFailures } from '../errors.js';
import { onInterrupt } from '../interrupt.js';
import { ProgressLine, progressWanted } from '../output/progress.js';
import { refuseDotEnding } from './dot-paths.js';
import { StorageCommand } from './storage-command.js';
import {
  addSummary,
  checkFolderDestination,
  copyOptions,
  destinationFor,
  sameNameRefusals,
  summaryLine,
  type TransferFlags,
} from './transfer.js';

export interface TransferJson {
  files: number;
  bytes: number;
  skipped: number;
  errors: Array<{
    path: string;
    dest: string;
    error: ReturnType<UfsError['toJSON']>;
  }>;
}

/** `SOURCE... DEST`: every argument but the last is a source (the help shows them so). */
export const transferArgs = {
  source: Args.string({ description: 'Source file(s) or folder(s): one or more', required: true, multiple: true }),
  dest: Args.string({ description: 'Destination', required: true }),
};

/**
 * `cp` and `mv`: SOURCE… DEST through the storage copy engine, with progress, a summary and per-file failures. A
 * source that fails as a whole (missing, unreadable) is a failure among the others, and the remaining sources go on.
 * Ctrl-C stops the transfers cleanly (no temporary file is left at the destination) and exits 130.
 */
export abstract class TransferCommand<T extends typeof Command> extends StorageCommand<T> {
  override async catch(err: Error & { exitCode?: number }): Promise<never> {
    return super.catch(missingArgs(err, this.id ?? 'cp') ?? err);
  }

  protected async transfer(operation: 'copy' | 'move'): Promise<TransferJson> {
    const name = operation === 'copy' ? 'cp' : 'mv';
    const { source, dest: destArg } = this.args as unknown as { source: string | string[]; dest: string };
    const sources = Array.isArray(source) ? source : [source];
    const flags = this.flags as unknown as TransferFlags;
    const storage = await this.storage();
    const dest = await this.node(destArg);
    if (sources.length > 1) await checkFolderDestination(dest, destArg);
    // Several sources: resolved once here (one that cannot be fails in its turn, below), and the later of two that
    // would go to one name refused before anything is transferred (see sameNameRefusals).
    const resolved = sources.length > 1 ? await Promise.all(sources.map((arg) => this.resolvedSource(arg, name))) : [];
    const refused = await sameNameRefusals(operation, resolved, dest, (full) => storage.displayPath(full));
    // The first Ctrl-C aborts the transfers: each removes its temporary file, then the command ends with 130.
    const interrupt = onInterrupt(() => new UfsError('ABORTED', `[ufs] ${name}: interrupted`));
    const progress = new ProgressLine(progressWanted(this.jsonEnabled()));
    const total: CopySummary = { files: 0, bytes: 0, skipped: 0, errors: [] };
    // What the source being transferred has done so far, counted file by file: an interrupted copy rejects without
    // its summary, and the files already in place, skipped or failed must still be counted (rclone prints its real
    // stats too).
    let current: CopySummary = { files: 0, bytes: 0, skipped: 0, errors: [] };
    const base = copyOptions(
      flags,
      progress,
      (node) => storage.named(node),
      (line) => {
        progress.done();
        this.debugNote(line);
      },
    );
    const options: CopyOptions = {
      ...base,
      signal: interrupt.signal,
      onFile: (event) => {
        current.files++;
        current.bytes += event.bytes;
        base.onFile?.(event);
      },
      onSkip: (event) => {
        current.skipped++;
        base.onSkip?.(event);
      },
      onError: (failure) => current.errors.push(failure),
    };
    let aborted: UfsError | undefined;
    try {
      for (const [index, srcArg] of sources.entries()) {
        let src: StorageNode | undefined;
        current = { files: 0, bytes: 0, skipped: 0, errors: [] };
        const refusal = refused.get(index);
        if (refusal) {
          total.errors.push({
            path: refusal.context.path as string,
            dest: refusal.context.dest as string,
            error: refusal,
          });
          continue;
        }
        try {
          src = resolved[index] ?? (await this.node(srcArg));
          if (operation === 'move') refuseDotEnding('mv', srcArg, src.fullpath);
          const target = await destinationFor(src, dest, destArg, sources.length > 1);
          // A moved tree takes its empty folders along (the storage's move does it, unless --include/--exclude).
          const done = operation === 'copy' ? src.copyTo(target, options) : src.moveTo(target, options);
          current = await done;
          addSummary(total, current);
        } catch (err) {
          if (interrupt.signal.aborted) {
            addSummary(total, current);
            aborted = asUfsError(err);
            break;
          }
          // A source that failed as a whole may still have transferred some files (--fail-fast): they count. Its
          // failure (with --fail-fast, the file that stopped it) is reported once, below.
          addSummary(total, { ...current, errors: [] });
          // One source: its failure is the command's (as before); several: one failure among the others.
          if (sources.length === 1) throw err;
          const error = asUfsError(err);
          total.errors.push({ path: src?.fullpath ?? srcArg, dest: dest.fullpath, error });
        }
      }
    } finally {
      progress.done();
      interrupt.dispose();
    }
    for (const failure of total.errors) this.reportError(failure.error);
    this.out(summaryLine(operation === 'copy' ? 'copied' : 'moved', total));
    const result: TransferJson = {
      ...total,
      errors: total.errors.map((e) => ({
        path: storage.displayPath(e.path),
        dest: storage.displayPath(e.dest),
        error: this.forUser(e.error).toJSON(),
      })),
    };
    if (aborted) throw interrupted(aborted, name, result);
    this.setExitStatus(exitCodeForFailures(total.errors.map((e) => e.error)));
    return result;
  }

  /** A source's node, or undefined when it cannot be one (a bad path; for mv a path ending in "." or ".."). */
  private async resolvedSource(arg: string, name: 'cp' | 'mv'): Promise<StorageNode | undefined> {
    try {
      const node = await this.node(arg);
      if (name === 'mv') refuseDotEnding('mv', arg, node.fullpath);
      return node;
    } catch {
      return undefined;
    }
  }
}

/**
 * The error of an interrupted `cp`/`mv` (ABORTED, exit 130), with what was done before the interruption in its
 * context (`files`, `bytes`, `skipped`, `errors`: the result's fields), so that `--json` gives the counts too.
 */
function interrupted(error: UfsError, name: string, done: TransferJson): UfsError {
  const aborted = error.code === 'ABORTED' ? error : new UfsError('ABORTED', `[ufs] ${name}: interrupted`);
  return new UfsError('ABORTED', aborted.message, {
    context: { ...aborted.context, ...done },
    cause: aborted.cause,
    retryable: aborted.retryable,
  });
}

/**
 * oclif fills the arguments after a variadic one first, from the end: `cp a.txt` gives a.txt to DEST and says
 * "Missing 1 required arg: source" when it is the destination that is missing. Says what is needed instead.
 */
function missingArgs(err: Error, name: string): UfsError | undefined {
  const { args, parse } = err as { args?: unknown; parse?: { output?: { args?: { dest?: unknown } } } };
  if (!Array.isArray(args) || !args.some((arg) => (arg as { name?: string }).name === 'source')) return undefined;
  const typed = parse?.output?.args?.dest;
  const message =
    typeof typed === 'string'
      ? `a destination is needed after ${JSON.stringify(typed)}`
      : 'a source and a destination are needed';
  return new UfsError('INVALID_INPUT', `[ufs] ${name}: ${message}: ${name} SOURCE... DEST (see --help)`, {
    context: { operation: name },
    cause: err,
  });
}
