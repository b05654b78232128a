import { basename } from 'node:path';
import { formatBytes } from '@org/core';
import { escapeNames } from '../errors.js';

/** What a scan did. Counts are of files unless they say otherwise. */
export interface ScanStats {
  /** Regular files found (symbolic links not included). */
  files: number;
  /** Their bytes. */
  bytes: number;
  /** Symbolic links recorded as links (not followed). */
  symlinks: number;
  /** Files whose hash came from the local cache (unchanged since an earlier run). */
  cached: number;
  /** Files hashed in this run, and their bytes. */
  hashed: number;
  hashedBytes: number;
  /** Records sent to the server. */
  sent: number;
  /**
   * Files not sent: the server already holds their record, unchanged, and its content (sent by an earlier run under
   * the server's current catalogue epoch). Unchanged symbolic links are not sent either; they count in `symlinks`.
   */
  unchanged: number;
  /** Files whose content the server did not hold yet. */
  new: number;
  /**
   * Files whose content the server already held, or that share content with another file of this run uploaded by it
   * (counted once that upload succeeded: a file whose content the server lacks is never counted here).
   */
  deduplicated: number;
  /** Distinct contents uploaded. */
  uploaded: number;
  /**
   * The bytes this scan sent for them: a resumable (tus) upload that continued one an earlier run left counts only
   * the part it sent (not what the server held already), so this can be less than the uploaded files' sizes. A tus
   * upload that Ctrl-C or a failure cut short counts the part of it the server confirmed holding (a PATCH's answer, or
   * the offset a HEAD reported): the server keeps it, and a later run continues after it.
   */
  uploadedBytes: number;
  /** Failures: unreadable paths, rejected batches, failed uploads. */
  failed: number;
  /**
   * Records the server took whose content was never uploaded because the scan stopped first (Ctrl-C, a server gone):
   * the server holds them without content until a later scan uploads it. Not in `failed` (nothing failed for them).
   */
  notUploaded: number;
  /**
   * Records of batches whose request was under way when the scan stopped and that got no answer in the moment the
   * stop leaves it (STOP_GRACE_MS): the server may hold them, without content. Not in `sent` (which counts those the
   * server answered for) nor in `failed`.
   */
  unanswered: number;
}

export function emptyStats(): ScanStats {
  return {
    files: 0,
    bytes: 0,
    symlinks: 0,
    cached: 0,
    hashed: 0,
    hashedBytes: 0,
    sent: 0,
    unchanged: 0,
    new: 0,
    deduplicated: 0,
    uploaded: 0,
    uploadedBytes: 0,
    failed: 0,
    notUploaded: 0,
    unanswered: 0,
  };
}

/**
 * A file name as the scan shows it: escaped as `JSON.stringify` writes it (in quotes) when it holds control characters,
 * as the per-failure lines do (errors.ts `escapeNames`): a terminal escape in a name is not run.
 */
export function shownName(name: string): string {
  const quoted = `"${name}"`;
  const escaped = escapeNames(quoted, [name]);
  return escaped === quoted ? name : escaped;
}

/** Bytes of one upload in flight sent so far, of its total. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * The progress line; with uploads in flight, the largest one's bytes (and how many others run) come second, so a
 * line cut to the terminal's width still shows them.
 */
export function progressText(
  s: ScanStats,
  dryRun: boolean,
  uploading: ReadonlyMap<string, UploadProgress> = new Map(),
): string {
  const parts = [
    `scan: ${s.files} files (${formatBytes(s.bytes)})`,
    `hashed ${s.hashed} (${formatBytes(s.hashedBytes)}), cached ${s.cached}`,
  ];
  let largest: [string, UploadProgress] | undefined;
  for (const entry of uploading) if (!largest || entry[1].total > largest[1].total) largest = entry;
  if (largest) {
    const [path, { loaded, total }] = largest;
    const others = uploading.size > 1 ? ` (+${uploading.size - 1} more)` : '';
    parts.splice(1, 0, `uploading ${shownName(basename(path))} ${formatBytes(loaded)}/${formatBytes(total)}${others}`);
  }
  if (!dryRun)
    parts.push(`sent ${s.sent}, unchanged ${s.unchanged}`, `uploaded ${s.uploaded} (${formatBytes(s.uploadedBytes)})`);
  if (s.failed) parts.push(`failed ${s.failed}`);
  if (s.notUploaded) parts.push(`not uploaded ${s.notUploaded}`);
  if (s.unanswered) parts.push(`unanswered ${s.unanswered}`);
  return parts.join(' | ');
}

/** The closing summary, one `name: value` per line. */
export function summaryText(s: ScanStats, dryRun: boolean, seconds: number): string {
  const rows: Array<[string, string]> = [
    ['files', `${s.files} (${formatBytes(s.bytes)})`],
    ['symlinks', String(s.symlinks)],
    ['hashed', `${s.hashed} (${formatBytes(s.hashedBytes)}), ${s.cached} unchanged from cache`],
  ];
  if (dryRun) rows.push(['server', 'not contacted (--dry-run)']);
  else
    rows.push(
      ['unchanged', `${s.unchanged} (already on the server, not sent)`],
      ['new', String(s.new)],
      ['deduplicated', String(s.deduplicated)],
      ['uploaded', `${s.uploaded} (${formatBytes(s.uploadedBytes)} sent)`],
    );
  rows.push(['failed', String(s.failed)]);
  // Only after a stop: records sent whose content the scan left without uploading.
  if (s.notUploaded) rows.push(['not uploaded', `${s.notUploaded} (records without content: scan again)`]);
  // Only after a stop: records of a request the stop left unanswered.
  if (s.unanswered)
    rows.push([
      'unanswered',
      `${s.unanswered} (records sent when the scan stopped, no answer: the server may hold them without content; scan again)`,
    ]);
  rows.push(['time', `${seconds.toFixed(1)} s`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n');
}
