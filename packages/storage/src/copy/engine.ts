import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { describeContext, toUfsError, UfsError } from '@org/core';
import type { StorageNode } from '../node/storage-node.js';
import type { ReadableNode } from '../virtual/readable-node.js';
import { folderExcluder, selector, type Selector } from './filters.js';
import { caseFolded, ignoresCase } from './identity.js';
import { planCopy, type CopyItem, type Operation } from './plan.js';
import { EmptiedFolders, moveEmptyFolders } from './prune.js';
import { checkModifyWindow, checkSkip, skipReason } from './skip.js';
import { transferFile } from './transfer.js';
import type { CopyError, CopyOptions, CopySummary, MoveOptions, SkipStrategy } from './types.js';

export const DEFAULT_COPY_CONCURRENCY = 4;

function checkConcurrency(value: number | undefined): number {
  const concurrency = value ?? DEFAULT_COPY_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new UfsError('INVALID_INPUT', `[ufs] copy: concurrency must be a whole number ≥ 1, got ${String(value)}`);
  return concurrency;
}

/** One copy or move: its options, the running totals, the abort wiring. */
class Run {
  readonly summary: CopySummary = { files: 0, bytes: 0, skipped: 0, errors: [] };
  readonly controller = new AbortController();
  readonly select: Selector;
  /** Whether `exclude` names a folder (a link to a folder it names is left out silently). */
  readonly excludesFolder: (relative: string) => boolean;
  readonly skip: SkipStrategy;
  /** Milliseconds within which modification times are equal (`skip: 'modtime'`). */
  readonly modifyWindow: number;
  readonly concurrency: number;
  readonly emptied: EmptiedFolders | undefined;
  /** Case-folded destination keys → the first destination path given them, where the destination ignores case. */
  private readonly folded: Map<string, string> | undefined;
  /** The first failure, when `failFast` stopped the run. */
  stoppedBy: UfsError | undefined;
  /** Bytes transferred so far, and bytes expected (files known minus those skipped or failed). */
  private loaded = 0;
  private planned = 0;
  private listingDone = false;
  /** Files whose `onProgress` call threw (each reported once). */
  private readonly progressThrew = new WeakSet<CopyItem>();

  constructor(
    readonly operation: Operation,
    readonly src: ReadableNode,
    readonly dest: StorageNode,
    readonly options: CopyOptions,
  ) {
    this.select = selector(options);
    this.excludesFolder = folderExcluder(options);
    this.skip = checkSkip(options.skip);
    this.modifyWindow = checkModifyWindow(options.modifyWindow);
    this.concurrency = checkConcurrency(options.concurrency);
    this.emptied = operation === 'move' ? new EmptiedFolders(src as StorageNode) : undefined;
    this.folded = ignoresCase(dest) ? new Map() : undefined;
    // Every transfer in flight listens to the run's signal, several times over (read, write, multipart parts).
    setMaxListeners(Math.max(10, this.concurrency * 8), this.controller.signal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Where the destination ignores case (Dropbox), whether another file of the tree already goes to this file's
   * destination name (`A.txt` and `a.txt`, `Dir/x` and `dir/x`): then this one fails (it stays at the source) rather
   * than overwrite the other. Only the names of the files taken are kept, one string each.
   */
  takenName(item: CopyItem): boolean {
    if (this.folded === undefined) return false;
    const name = caseFolded(item.dest.path);
    const first = this.folded.get(name);
    if (first === undefined) {
      this.folded.set(name, item.dest.fullpath);
      return false;
    }
    const stays = this.operation === 'move' ? 'moved; it stays at the source' : 'copied';
    const detail =
      `the destination does not tell upper from lower case, and another file of the tree already goes to ` +
      `"${first}" under this name: not ${stays}`;
    const context = {
      operation: this.operation,
      path: item.src.fullpath,
      dest: item.dest.fullpath,
      clashesWith: first,
    };
    this.fail(item.src.fullpath, item.dest.fullpath, new UfsError('INVALID_INPUT', `[ufs] ${detail}`, { context }));
    return true;
  }

  /** A file counted in the expected total (tree files when listed, a single file once stat'ed). */
  addPlanned(bytes: number): void {
    this.planned += bytes;
  }

  endListing(): void {
    this.listingDone = true;
  }

  /**
   * Calls the caller's `onProgress` for bytes of `item`. What it throws is the caller's error, reported once in
   * `errors` for that file (not again for its later bytes); the transfer goes on.
   */
  progress(bytes: number, item: CopyItem): void {
    this.loaded += bytes;
    const onProgress = this.options.onProgress;
    if (onProgress === undefined) return;
    const total = this.listingDone ? this.planned : undefined;
    try {
      onProgress({ loaded: this.loaded, total, item: item.src.fullpath, phase: this.operation });
    } catch (err) {
      if (this.progressThrew.has(item)) return;
      this.progressThrew.add(item);
      this.fail(item.src.fullpath, item.dest.fullpath, callbackError('onProgress', err, 'the transfer went on'));
    }
  }

  /** A failure, added to `errors` and given to `onError`. */
  fail(path: string, dest: string, err: unknown): void {
    const failure = this.record(path, dest, err);
    try {
      this.options.onError?.(failure);
    } catch (thrown) {
      // Listed as one more entry for the same file, not given to onError again (it would throw again).
      this.record(path, dest, callbackError('onError', thrown, 'the failure it was given is listed too'));
    }
  }

  private record(path: string, dest: string, err: unknown): CopyError {
    const error = fileError(this.operation, path, dest, err);
    const failure = { path, dest, error };
    this.summary.errors.push(failure);
    if (this.options.failFast && !this.stoppedBy) {
      this.stoppedBy = error;
      this.controller.abort(error);
    }
    return failure;
  }

  /**
   * Calls the caller's `onFile` or `onSkip`. What it throws is the caller's error, reported once in `errors` for that
   * file; the file stays counted as what it is (copied, moved or skipped), never also as failed.
   */
  private notify(name: 'onFile' | 'onSkip', item: CopyItem, call: () => void): void {
    try {
      call();
    } catch (err) {
      const what = name === 'onSkip' ? 'skipped' : this.operation === 'move' ? 'moved' : 'copied';
      this.fail(item.src.fullpath, item.dest.fullpath, callbackError(name, err, `the file was ${what}`));
    }
  }

  /** One file, start to end; never rejects (a failure is recorded with the file's path). */
  async process(item: CopyItem, expected: number): Promise<void> {
    let size = expected;
    let sent = 0;
    try {
      this.signal.throwIfAborted();
      const stat = await item.src.stat({ signal: this.signal });
      size = stat.size ?? 0;
      this.planned += size - expected;
      // A case rename's destination is its source: nothing there to compare, never skipped.
      const reason = item.caseRename
        ? undefined
        : await skipReason(this.skip, item.src, stat, item.dest, this.signal, this.modifyWindow);
      if (reason) {
        this.planned -= size;
        this.summary.skipped++;
        this.notify('onSkip', item, () => this.options.onSkip?.({ src: item.src, dest: item.dest, reason }));
        return;
      }
      const done = await transferFile(item, stat, {
        operation: this.operation,
        overwrite: this.options.overwrite ?? true,
        preserveModified: this.options.preserveModified ?? true,
        signal: this.signal,
        onBytes: (bytes) => {
          sent += bytes;
          this.progress(bytes, item);
        },
        onRestart: () => {
          this.progress(-sent, item);
          sent = 0;
        },
      });
      this.summary.files += done.files ?? 1;
      this.summary.bytes += done.bytes;
      if (!item.caseRename) this.emptied?.add(item.src as StorageNode);
      const event = { src: item.src, dest: item.dest, bytes: done.bytes, method: done.method };
      this.notify('onFile', item, () => this.options.onFile?.(event));
    } catch (err) {
      this.loaded -= sent;
      this.planned -= size;
      // After an abort by the caller, the run rejects with ABORTED; per-file echoes of it are not failures.
      if (this.signal.aborted && !this.stoppedBy) return;
      if (this.stoppedBy && isAbortEcho(err, this.stoppedBy)) return;
      this.fail(item.src.fullpath, item.dest.fullpath, err);
    }
  }
}

/**
 * What a caller's callback threw, as the caller's error (its code kept, never retryable):
 * `the onFile callback threw: <its message> (<what happened meanwhile>)`.
 */
function callbackError(name: string, err: unknown, meanwhile: string): UfsError {
  const inner = toUfsError(err);
  const detail = `the ${name} callback threw: ${inner.message.replace(/^\[ufs\] /, '')} (${meanwhile})`;
  return new UfsError(inner.code, `[ufs] ${detail}`, { cause: err, retryable: false });
}

/**
 * The failure of one file, naming it: `[ufs] copy "a:x.bin" → "b:x.bin": [a] read "x.bin": …` with the original's
 * code and retryability, and the original as `cause`.
 */
function fileError(operation: Operation, path: string, dest: string, err: unknown): UfsError {
  const inner = toUfsError(err);
  const context = { operation, path, dest };
  return new UfsError(
    inner.code,
    `[ufs] ${operation} "${path}" → "${dest}": ${inner.message.replace(/^\[ufs\] /, '')}`,
    {
      context,
      cause: inner,
      retryable: inner.retryable,
      retryAfterMs: inner.retryAfterMs,
    },
  );
}

/** A symbolic link to a folder met in a tree: UNSUPPORTED (it is not followed; what it points to is not taken). */
function folderLinkError(operation: Operation, src: ReadableNode): UfsError {
  const context = { operation, path: src.fullpath };
  const stays = operation === 'move' ? '; it stays where it is' : '';
  return new UfsError('UNSUPPORTED', `[ufs] is a symbolic link to a folder, not followed${stays}`, {
    context,
    retryable: false,
  });
}

/**
 * A file's error that only repeats the stop of a failFast run: an abort error, or the failure that stopped the run
 * (the signal's reason, thrown by a file that was about to start), as is or wrapped.
 */
function isAbortEcho(err: unknown, stoppedBy: UfsError): boolean {
  const code = (err as { code?: unknown }).code;
  const name = (err as { name?: unknown }).name;
  if (code === 'ABORTED' || code === 'ABORT_ERR' || name === 'AbortError') return true;
  for (let cause = err, depth = 0; cause instanceof Object && depth < 10; depth++) {
    if (cause === stoppedBy) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** Lists the tree and feeds its files to at most `concurrency` transfers, a bounded queue ahead of them. */
async function runTree(run: Run, items: AsyncGenerator<CopyItem>, root: ReadableNode): Promise<void> {
  const limit = pLimit(run.concurrency);
  const running = new Set<Promise<void>>();
  try {
    for await (const item of items) {
      if (run.signal.aborted) break;
      if (item.folderLink) {
        // Never followed, so never copied (nor, for a move, deleted): a failure of its own, not a silent skip.
        if (!run.excludesFolder(item.relative))
          run.fail(item.src.fullpath, item.dest.fullpath, folderLinkError(run.operation, item.src));
        continue;
      }
      let selected: boolean;
      try {
        selected = await run.select(item.relative, item.src);
      } catch (err) {
        run.fail(item.src.fullpath, item.dest.fullpath, err);
        continue;
      }
      if (!selected) continue;
      if (run.takenName(item)) continue;
      const expected = (item.src as StorageNode).listed?.size ?? 0;
      run.addPlanned(expected);
      const task = limit(() => run.process(item, expected));
      running.add(task);
      const done = () => running.delete(task);
      task.then(done, done);
      while (running.size >= run.concurrency * 2) await Promise.race(running);
    }
  } catch (err) {
    if (!run.signal.aborted) run.fail(root.fullpath, run.dest.fullpath, err);
  } finally {
    run.endListing();
    await Promise.all(running);
  }
}

/** A folder renamed to another case of its name with a filter: refused (the rename moves the whole folder). */
function filteredCaseRename(src: ReadableNode, dest: StorageNode): UfsError {
  const context = { operation: 'move', path: src.fullpath, dest: dest.fullpath };
  const detail =
    `only the case of the folder's name changes, and "${dest.fullpath}" is the same folder where case is ignored: ` +
    'it is renamed whole, so include, exclude and filter cannot apply (move it without them)';
  return new UfsError('INVALID_INPUT', `${describeContext(context)} ${detail}`, { context });
}

/** No file is left out by `include`, `exclude` or `filter`. */
function wholeTree(options: CopyOptions): boolean {
  const none = (patterns: string | readonly string[] | undefined) => patterns === undefined || patterns.length === 0;
  return none(options.include) && none(options.exclude) && options.filter === undefined;
}

async function execute(
  operation: Operation,
  src: ReadableNode,
  dest: StorageNode,
  options: CopyOptions,
): Promise<CopySummary> {
  const run = new Run(operation, src, dest, options);
  const external = options.signal;
  const aborted = (): UfsError => {
    const context = { operation, path: src.fullpath, dest: dest.fullpath };
    return new UfsError(
      'ABORTED',
      `${describeContext(context)} aborted after ${run.summary.files} file(s) to "${dest.fullpath}"`,
      { context, cause: external?.reason },
    );
  };
  if (external?.aborted) throw aborted();
  const onAbort = () => run.controller.abort(external?.reason);
  external?.addEventListener('abort', onAbort, { once: true });
  try {
    const plan = await planCopy(operation, src, dest, run.signal);
    if (plan.kind === 'file') {
      run.endListing();
      if (await run.select(plan.item.relative, plan.item.src)) await run.process(plan.item, 0);
    } else if (plan.kind === 'rename') {
      run.endListing();
      // A folder's case rename moves it whole: it cannot leave out files that include/exclude/filter do not choose.
      if (plan.folder && !wholeTree(options)) throw filteredCaseRename(src, dest);
      if (plan.folder || (await run.select(plan.item.relative, plan.item.src))) await run.process(plan.item, 0);
    } else {
      // A name in the source that can never be a key, or an entry that cannot be read (a link loop, a refused
      // stat, a folder that cannot be listed), is that entry's failure; its siblings are copied.
      const onLeftOut = (error: UfsError) => run.fail(String(error.context.path), dest.fullpath, error);
      await runTree(run, plan.items(run.signal, onLeftOut), plan.root);
    }
    if (external?.aborted) throw aborted();
    if (run.stoppedBy) throw run.stoppedBy;
    // A whole tree moved to real folders takes its empty folders along (below); otherwise they stay at the source,
    // and a folder that holds only them is checked for anything else left in it.
    const movesFolders = operation === 'move' && plan.kind === 'tree' && wholeTree(options);
    const keepsEmptyFolders = !(movesFolders && dest.capabilities.directories);
    for (const failure of (await run.emptied?.prune(run.signal, keepsEmptyFolders)) ?? [])
      run.fail(failure.node.fullpath, dest.fullpath, failure.error);
    // With failFast, a folder that could not be removed stops the run as a file does (whether or not empty folders
    // are moved next).
    if (run.stoppedBy) throw run.stoppedBy;
    // A whole tree moves with its empty folders; a filtered move takes only the files chosen. What already failed
    // (a folder that could not be listed or removed) is held as it is, not reported a second time.
    if (movesFolders) {
      const failed = new Set(run.summary.errors.map((e) => e.path));
      for (const failure of await moveEmptyFolders(plan.root, dest, { signal: run.signal, failed }))
        run.fail(failure.node.fullpath, failure.dest.fullpath, failure.error);
      if (run.stoppedBy) throw run.stoppedBy;
    }
    return run.summary;
  } catch (err) {
    if (external?.aborted) throw aborted();
    throw toUfsError(err, { operation, path: src.fullpath });
  } finally {
    external?.removeEventListener('abort', onAbort);
  }
}

/**
 * Copies a file to a file, or a folder's files below another folder (relative paths kept), within a backend
 * (server-side copy when the backend has one and both nodes are on the same mount) or across backends (streamed,
 * never whole in memory, `concurrency` files at once). A failed file is reported in `errors` with its path and the
 * others go on (unless `failFast`); it never leaves a partial destination file. See `CopyOptions`.
 */
export function copyNode(src: ReadableNode, dest: StorageNode, options: CopyOptions = {}): Promise<CopySummary> {
  return execute('copy', src, dest, options);
}

/**
 * Moves a file or a folder's files: a native rename when both are on one mount whose backend has one, else a copy
 * (server-side or streamed) then deletion of the source file once the copy is in place. Skipped, filtered and failed
 * files stay at the source; folders the move emptied are removed. A whole folder (no include/exclude/filter) moves
 * with its empty folders: they are made at the destination and removed from the source, so nothing is left behind
 * but what was skipped or failed (see `moveEmptyFolders`). A symbolic link to a folder is never entered: it stays at
 * the source with the folders above it, and is reported in `errors` (UNSUPPORTED) unless `exclude` names it. Where the destination has no real folders (`capabilities.directories` false:
 * S3, GCS, Azure), empty source folders stay where they are (nothing could hold them at the destination).
 */
export function moveNode(src: StorageNode, dest: StorageNode, options: MoveOptions = {}): Promise<CopySummary> {
  return execute('move', src, dest, options);
}
