import type { ProgressEvent, UfsError } from '@org/core';
import type { StorageNode } from '../node/storage-node.js';
import type { ReadableNode } from '../virtual/readable-node.js';

/** Decides whether one file is skipped: `true` skips it. */
export type SkipFunction = (src: ReadableNode, dest: StorageNode) => boolean | Promise<boolean>;

/**
 * When a file is left alone instead of copied:
 * - `never` (default): always copy;
 * - `exists`: the destination file exists;
 * - `size`: it exists with the same size;
 * - `hash`: it exists with the same size and the same content — compared with stored checksums when both sides
 *   have one of the same kind (no read), else by streaming a checksum (the kind one side stores, else SHA-256);
 * - `modtime` (rclone's default): it exists with the same size and the same modification time, within
 *   `modifyWindow` or the precision both sides keep (`capabilities.modifiedPrecisionMs`), whichever is larger.
 *   Where the destination cannot keep modification times (`capabilities.setModified` false), or not the source's
 *   (outside its `capabilities.modifiedRange`: SFTP before 1970 or after 2106), the size alone decides, as rclone
 *   does (the reason is then `size`); a side without a modification time is copied;
 * - a function `(src, dest) => boolean`.
 */
export type SkipStrategy = 'never' | 'exists' | 'size' | 'modtime' | 'hash' | SkipFunction;

/** Why a file was skipped: the strategy's name, or `custom` for a function. */
export type SkipReason = 'exists' | 'size' | 'modtime' | 'hash' | 'custom';

/** How a file got to its destination. */
export type TransferMethod = 'copy' | 'rename' | 'stream';

export interface CopyFileEvent {
  src: ReadableNode;
  dest: StorageNode;
  bytes: number;
  /** `copy`: server-side copy inside one backend; `rename`: native move; `stream`: read → write. */
  method: TransferMethod;
}

export interface CopySkipEvent {
  src: ReadableNode;
  dest: StorageNode;
  reason: SkipReason;
}

export interface CopyError {
  /** The source file (or, for a failed listing, the source folder): `mount:path`. */
  path: string;
  /** Where it was going. */
  dest: string;
  error: UfsError;
}

export interface CopyOptions {
  /**
   * Patterns read as gitignore and rclone read theirs, matched against each file's path relative to the source
   * folder (a single file: its name) and against the folders above it: a pattern without `/` matches a name at any
   * level (`*.md`, `docs`: a file so named, or everything below a folder so named); a trailing `/` matches folders
   * only (`node_modules/`); a leading `/` or a `/` inside anchors it to the source folder (`/a.md`, `docs/**`,
   * `docs/*.md`). `*` does not cross `/`, `**` does, dot files match (picomatch globs). When given, only matching
   * files are copied.
   */
  include?: string | readonly string[];
  /** Patterns (as `include`) of files and folders left out; exclusion wins over inclusion. */
  exclude?: string | readonly string[];
  /** Called for each file that passed `include`/`exclude`; false leaves it out. */
  filter?: (node: ReadableNode) => boolean | Promise<boolean>;
  /** Default `never`. */
  skip?: SkipStrategy;
  /**
   * Milliseconds two modification times may differ and still be equal for `skip: 'modtime'` (rclone's
   * `--modify-window`), at most one day. Default 0: the precision the two backends keep decides (the larger of
   * their `capabilities.modifiedPrecisionMs`: 1 ms between local, memory and object stores, 1 s with SFTP); a
   * larger window widens it.
   */
  modifyWindow?: number;
  /**
   * Default true: each copied file gets its source's modification time, on destinations that can keep one
   * (`capabilities.setModified`; streamed writes and server-side copies). False: the destination's time is when it
   * was written. A time outside what the destination can carry (`capabilities.modifiedRange`: SFTP v3 holds
   * 1970-01-01 to 2106-02-07) is not set, never wrapped: that file's time is when it was written.
   */
  preserveModified?: boolean;
  /**
   * Default true: an existing destination file is replaced (atomically where the backend allows), unless `skip`
   * leaves it. False: an existing destination file is not touched and the file is reported in `errors` with
   * ALREADY_EXISTS (enforced by the backend's conditional write when it has one, checked just before otherwise).
   */
  overwrite?: boolean;
  /** Files transferred at once. Default 4. */
  concurrency?: number;
  /** Stop at the first failed file: in-flight transfers are aborted and the call rejects with that error. */
  failFast?: boolean;
  /** Stops scheduling, aborts in-flight transfers; the call rejects with ABORTED. */
  signal?: AbortSignal;
  /**
   * After each file is in place. Should it throw, the file still counts as copied (moved) and the error is listed
   * once in `errors` for that file.
   */
  onFile?: (event: CopyFileEvent) => void;
  /** For each file left alone by `skip`. Should it throw, as `onFile`: counted as skipped, the error listed once. */
  onSkip?: (event: CopySkipEvent) => void;
  /**
   * For each failure, as it is added to `errors` (the same entry): a file, or a folder that could not be listed or
   * removed. With `onFile` and `onSkip`, it lets a caller count what a run that rejects (an abort, `failFast`) had
   * done, as its summary is not returned. Files the abort itself stopped are not failures. Should it throw, its
   * error is listed in `errors` right after the failure it was given, for the same file, and not given to it again.
   */
  onError?: (event: CopyError) => void;
  /**
   * Bytes transferred so far over the whole run (`item`: the file that moved). `total` is present once every file
   * to transfer is known: at once for a single file, after the source listing ends for a tree (skipped files are
   * taken out of it as they are decided). Should it throw, the transfer goes on and the error is listed once in
   * `errors` for that file (and given to `onError`), however many of its calls threw.
   */
  onProgress?: (event: ProgressEvent) => void;
}

/** Move options: the same as copy; a moved file is removed from the source once it is in place. */
export type MoveOptions = CopyOptions;

export interface CopySummary {
  /** Files copied (or moved). */
  files: number;
  /** Their bytes. */
  bytes: number;
  /** Files left alone by `skip`. */
  skipped: number;
  /**
   * Files that failed, each with its path; the others went on. A callback that threw is listed here too, naming
   * it: `onFile` or `onSkip` for a file counted in `files` or `skipped`, `onProgress` once for the file it was called
   * for, `onError` right after the failure it was given.
   */
  errors: CopyError[];
}
