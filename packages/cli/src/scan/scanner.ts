import { UfsError, hashBytes, toUfsError, type FileMetadataInput } from '@org/core';
import type { DedupClient } from '../api/dedup-client.js';
import type { FileStamp } from '../api/file-stamp.js';
import type { HashCache } from './cache.js';
import type { HashPool } from './hash-pool.js';
import { recordMetadata as metadata } from './record-metadata.js';
import { invalidRecord, notCatalogued, putRecords } from './put-records.js';
import { Semaphore } from './semaphore.js';
import { fingerprint, openSentRecords, recountSentRecords } from './sent-records.js';
import { emptyStats, type ScanStats, type UploadProgress } from './stats.js';
import { uploadContent, type UploadOutcome, type UploadScan } from './upload-content.js';
import { walk, type WalkOptions } from './walk.js';
// Types only (erased): the schema module itself is loaded with the first batch.
import type * as DedupSchema from '@org/core/dedup-schema';

type ParseRecord = typeof DedupSchema.parseFileMetadata;

export interface ScanOptions extends WalkOptions {
  roots: readonly string[];
  hostname: string;
  ipAddress: string;
  /** Walk and hash only: the server is not contacted. */
  dryRun: boolean;
  client?: DedupClient;
  pool: HashPool;
  cache?: HashCache;
  /** Hash every file again, ignoring remembered hashes. */
  rehash?: boolean;
  /** Send every record again, even those the server holds unchanged (the memory of what was sent is refreshed). */
  resend?: boolean;
  uploadConcurrency: number;
  /**
   * Most uploads waiting for a slot before the walk waits for them (default: 16 per upload slot, at least 64): each
   * waiting upload holds its record, so an unbounded queue grows with the tree when uploads are slower than the walk.
   */
  uploadQueue?: number;
  batchSize: number;
  /** Metadata requests (batches) in flight at once; default 3. */
  sendConcurrency?: number;
  /** Files of at least this size are uploaded with tus (resumable). */
  tusThreshold: number;
  tusChunkSize?: number;
  /** A tus request that has nothing sent or answered for this long fails with TIMEOUT (as the client's requests). */
  tusTimeoutMs?: number;
  /** Called as the scan goes (often: per file, per upload chunk); `uploading` lists the uploads in flight. */
  onProgress?: (stats: ScanStats, uploading: ReadonlyMap<string, UploadProgress>) => void;
  onFailure?: (error: UfsError) => void;
  /** Details for --verbose. */
  onDebug?: (message: string) => void;
  signal?: AbortSignal;
}

interface Pending {
  path: string;
  size: number;
  meta: FileMetadataInput;
  /** The record's fingerprint, when the memory of sent records is on. */
  print?: string;
  /** The file as the walk found it (an upload of a file changed since fails as such). */
  stamp?: FileStamp;
}

/** One content upload of this run, and the records of that content waiting for it before they count as held. */
interface Upload {
  done: Promise<void>;
  state: 'running';
  waiting: Pending[];
}

/** The failure of a file whose content failed to upload from an identical file (its twin), for the content's reason. */
function twinFailure(path: string, source: string, error: UfsError): UfsError {
  return new UfsError(
    error.code,
    `[ufs] [server] upload "${path}": not uploaded: the same content failed from "${source}": ${error.message.replace(/^\[ufs\] /, '')}`,
    { retryable: error.retryable, cause: error, context: { ...error.context, path, source } },
  );
}

/** What a scan did, the failures it counted, and the error that stopped it early (a fatal one, or an interrupt). */
export interface ScanResult {
  stats: ScanStats;
  errors: UfsError[];
  stopped?: UfsError;
  /** Most uploads that waited for a slot at once (bounded by `uploadQueue`, plus the batches in flight). */
  maxQueuedUploads: number;
}

const EMPTY_SHA256 = hashBytes('');
/**
 * Server failures that no other file or batch would escape (bad key, server down or overloaded after retries):
 * they stop the scan. Others (a refused record, a content over the size limit, a mismatch) count for their files.
 */
const FATAL = new Set(['PERMISSION_DENIED', 'CONFIG_INVALID', 'ABORTED', 'UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED']);
/**
 * Whether a server failure stops the scan: a FATAL code, unless it is about one upload only (a tus upload whose server
 * kept saying it was finishing it for too long: `stage` 'finish', see tus-upload.ts).
 */
const stopsScan = (error: UfsError) => FATAL.has(error.code) && error.context.stage !== 'finish';

/**
 * Walks the roots, hashes on the pool (bounded), reuses cached hashes of unchanged files, skips records the server
 * already holds unchanged (SentRecords, checked against the server's catalogue epoch), sends the others in batches
 * (a few in flight) while the walk goes on, and uploads (bounded) each content the server asks for once per run:
 * small files as one multipart request, large ones with tus. The walk waits while too many uploads wait for a slot
 * (`uploadQueue`), so memory stays flat however large the tree. Per-file failures are counted and reported;
 * failures that would hit every request (bad key, server down, abort) stop the scan: the result then says so in
 * `stopped`, with the figures of what was done until then.
 */
export async function runScan(o: ScanOptions): Promise<ScanResult> {
  const stats = emptyStats();
  const errors: UfsError[] = [];
  let fatal: UfsError | undefined;
  const uploading = new Map<string, UploadProgress>();
  const progress = () => o.onProgress?.(stats, uploading);
  const uploadProgress = (path: string, total: number) => (loaded: number) => {
    uploading.set(path, { loaded, total });
    progress();
  };
  /** Counts and lists one failure; `report: false` when it was reported already (one line for a batch). */
  const fail = (err: unknown, report = true) => {
    const error = toUfsError(err);
    stats.failed++;
    // Every failure counted is listed, a fatal one too (the file or record it failed).
    errors.push(error);
    if (isFatal(error) && fatal === undefined) {
      // The error that stops the scan: reported once, by whoever catches the scan's error (after the summary).
      fatal = error;
      return;
    }
    // Others each get their line (a file's), those that come after the stop (another upload under way that failed
    // too) as well; the records of a failed batch are not reported one by one (`report`: false).
    if (report) o.onFailure?.(error);
    progress();
  };
  const isFatal = (error: UfsError) => stopsScan(error) && !o.dryRun && error.context.backend === 'server';

  const hashSlots = new Semaphore(o.pool.threads * 256);
  const uploadSlots = new Semaphore(o.uploadConcurrency);
  const uploadQueue = o.uploadQueue ?? Math.max(64, 16 * o.uploadConcurrency);
  const ended = (): ScanResult => {
    const stopped = o.signal?.aborted ? new UfsError('ABORTED', '[ufs] scan: interrupted') : fatal;
    return { stats, errors, ...(stopped ? { stopped } : {}), maxQueuedUploads: uploadSlots.maxWaiting };
  };
  // What the server was sent before (with a cache, and a server that reports its catalogue epoch).
  let sent: Awaited<ReturnType<typeof openSentRecords>>;
  try {
    sent = o.dryRun || !o.cache || !o.client ? undefined : await openSentRecords(o.client, o.cache, o);
  } catch (err) {
    fatal = toUfsError(err);
    return ended();
  }
  // The schema of records (zod, ~90 ms to load) checks each record before it is sent: loaded with the first batch,
  // so a rescan that sends nothing never loads it.
  let schema: Promise<typeof DedupSchema> | undefined;
  /** Why the server would refuse this record (the shared schema), or undefined when it would not. */
  const invalid = (parse: ParseRecord, meta: FileMetadataInput): string | undefined => {
    const parsed = parse(meta);
    if (parsed.ok) return undefined;
    return parsed.issues.map((i) => (i.message.startsWith(i.path) ? i.message : `${i.path}: ${i.message}`)).join('; ');
  };
  /** Records per request: --batch-size, or fewer once a server refused that many as too large (413). */
  let batchLimit = o.batchSize;
  const sendConcurrency = o.sendConcurrency ?? 3;
  const sendSlots = new Semaphore(sendConcurrency);
  const hashing = new Set<Promise<void>>();
  // Contents of this run: uploading, or uploaded, or failed for a reason of the content (its error) — a finished
  // upload keeps only its outcome. One that failed for a reason of its file alone is forgotten: a twin sent later
  // starts its own.
  const uploads = new Map<string, Upload | 'ok' | UfsError>();
  const running = new Set<Promise<void>>();
  const sending = new Set<Promise<void>>();
  let batch: Pending[] = [];

  /** The server holds this record and its content now: it need not be sent again while the epoch stays. */
  const held = (item: Pending) => {
    if (sent && item.print) sent.remember(item.path, item.print);
  };

  const uploadScan: UploadScan = {
    o,
    stats,
    uploading,
    stopped: () => fatal !== undefined || o.signal?.aborted === true,
    progress,
    uploadProgress,
    fail,
    isFatal,
  };
  /** One content upload, in an upload slot (see uploadContent). */
  const upload = (sha256: string, item: Pending): Promise<UploadOutcome> =>
    uploadSlots.run(() => uploadContent(uploadScan, sha256, item));

  /**
   * Uploads the content of `item` once per run; `item` and every record of that content waiting for it (its twins) are
   * held after. When the upload fails for a reason of its file (changed, gone, unreadable) the next twin waiting is
   * uploaded instead (counted new); when it fails for a reason of the content (too large, refused) every twin fails
   * with it. A twin counts as deduplicated only once the server holds the content.
   */
  const startUpload = (sha256: string, item: Pending) => {
    const entry: Upload = { done: Promise.resolve(), state: 'running', waiting: [item] };
    let final: 'ok' | UfsError | undefined;
    entry.done = (async () => {
      for (;;) {
        const source = entry.waiting[0]!;
        const outcome = await upload(sha256, source);
        if (outcome === 'ok') {
          held(source);
          for (const twin of entry.waiting.slice(1)) {
            stats.deduplicated++;
            held(twin);
          }
          final = 'ok';
          break;
        }
        if (outcome === 'skipped' || outcome.failed === 'stop') {
          // Sent, but left without content by the stop: said in the summary, not lost in it (the source of an
          // upload that failed fatally is counted failed already).
          stats.notUploaded += outcome === 'skipped' ? entry.waiting.length : entry.waiting.length - 1;
          break;
        }
        entry.waiting.shift();
        if (outcome.failed === 'file') {
          // Another file of this content may still be uploaded; none waiting: a later twin starts its own upload.
          if (entry.waiting.length === 0) break;
          stats.new++;
          continue;
        }
        // Those waiting now, twins sent since the upload began included.
        for (const twin of entry.waiting) fail(twinFailure(twin.path, source.path, outcome.error));
        final = outcome.error;
        break;
      }
      entry.waiting = [];
      if (final) uploads.set(sha256, final);
      else uploads.delete(sha256);
      running.delete(entry.done);
    })();
    uploads.set(sha256, entry);
    running.add(entry.done);
  };

  /** The server's answer for records it took: each one held, or waiting for its content's upload. */
  const answered = (items: readonly Pending[], needed: ReadonlySet<string>) => {
    stats.sent += items.length;
    for (const item of items) {
      const sha256 = item.meta.sha256;
      if (item.meta.is_symlink || !needed.has(sha256)) {
        if (!item.meta.is_symlink) stats.deduplicated++;
        held(item);
        continue;
      }
      const known = uploads.get(sha256);
      if (!known) {
        stats.new++;
        startUpload(sha256, item);
        continue;
      }
      // Content of this run, uploaded once: this record is held (and deduplicated) when that upload succeeds; it fails
      // with an upload that failed for a reason of the content.
      if (known === 'ok') {
        stats.deduplicated++;
        held(item);
      } else if (known instanceof UfsError) fail(twinFailure(item.path, String(known.context.path), known));
      else known.waiting.push(item);
    }
    progress();
  };

  const send = async (batchItems: Pending[]) => {
    // Stopped (Ctrl-C, SIGTERM, a fatal answer): batches still waiting for a slot are not sent; the hashes are kept.
    if (fatal || o.signal?.aborted) return;
    let parse: ParseRecord;
    try {
      parse = (await (schema ??= import('@org/core/dedup-schema'))).parseFileMetadata;
    } catch (err) {
      fatal ??= toUfsError(err);
      return;
    }
    const items = batchItems.filter((item) => {
      const refused = invalid(parse, item.meta);
      if (refused) fail(invalidRecord(item.path, refused));
      return !refused;
    });
    // Stopped while the schema loaded: not sent.
    if (items.length === 0 || fatal || o.signal?.aborted) return;
    const outcome = await putRecords(batchClient!, items);
    for (const part of outcome.answered) answered(part.items, part.uploadRequired);
    for (const { error } of outcome.refused) fail(error);
    if (outcome.tooLarge !== undefined && outcome.tooLarge <= batchLimit) {
      batchLimit = Math.max(1, Math.ceil(outcome.tooLarge / 2));
      o.onDebug?.(
        `scan: the server refused ${outcome.tooLarge} records at once as too large (413): batches of ${batchLimit} from now on`,
      );
    }
    if (outcome.failed) {
      // One line for the batch; every record of it counted and listed, by its path.
      const { error, items: lost } = outcome.failed;
      // Stopped by the user while the batch was under way: nothing failed. Those whose request went out without an
      // answer are counted `unanswered` (batchClient); the others were not sent.
      if (o.signal?.aborted && error.code === 'ABORTED') return;
      // A fatal one (a refused key, the server down) is said once, however many batches it failed.
      if (isFatal(error)) fatal ??= error;
      else o.onFailure?.(error);
      for (const item of lost) fail(notCatalogued(item.path, error), false);
    }
  };

  /**
   * The client for batches: a request sent when the stop comes gets its answer for a moment more (the client's signal
   * aborts STOP_GRACE_MS after the stop), and what it says counts; one still unanswered then counts its records as
   * `unanswered` (the server may hold them, without content). No request starts after the stop (a part of a batch
   * split after a 413 or a refusal).
   */
  const batchClient =
    o.client &&
    Object.assign(Object.create(o.client) as DedupClient, {
      putFiles: async (records: readonly FileMetadataInput[]) => {
        if (o.signal?.aborted) throw new UfsError('ABORTED', '[ufs] [server] put_files: not sent: the scan stopped');
        try {
          return await o.client!.putFiles(records);
        } catch (err) {
          if (o.signal?.aborted && toUfsError(err).code === 'ABORTED') stats.unanswered += records.length;
          throw err;
        }
      },
    });

  const flushBatch = () => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    if (o.dryRun || fatal || o.signal?.aborted) return;
    // send() catches its failures: a task never rejects.
    const task: Promise<void> = sendSlots.run(() => send(items)).finally(() => sending.delete(task));
    sending.add(task);
  };
  /** Queues a record for the server, unless the server already holds it unchanged. */
  const add = (item: Pending) => {
    if (sent) {
      item.print = fingerprint(item.meta);
      if (!o.resend && sent.has(item.path, item.print)) {
        if (!item.meta.is_symlink) stats.unchanged++;
        return;
      }
    }
    batch.push(item);
    if (batch.length >= batchLimit) flushBatch();
  };

  walking: for await (const entries of walk(o.roots, o)) {
    for (const entry of entries) {
      if (fatal || o.signal?.aborted) break walking;
      if (entry.kind === 'error') {
        fail(entry.error);
        continue;
      }
      if (entry.kind === 'symlink') {
        stats.symlinks++;
        add({ path: entry.path, size: 0, meta: metadata(entry.path, entry.stats, EMPTY_SHA256, 0, o, entry.target) });
        continue;
      }
      const { path, stats: st } = entry;
      stats.files++;
      stats.bytes += Number(st.size);
      const id = { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino, dev: st.dev };
      const stamp = { size: st.size, mtimeNs: st.mtimeNs };
      let known: string | undefined;
      try {
        known = o.rehash ? undefined : o.cache?.lookup(path, id);
      } catch (err) {
        // The cache failed (a damaged page, a full disk): that ends the scan, with the summary of what was done.
        fatal ??= toUfsError(err);
        break walking;
      }
      if (known) {
        stats.cached++;
        add({ path, size: Number(st.size), meta: metadata(path, st, known, Number(st.size), o), stamp });
        progress();
      } else {
        await hashSlots.acquire();
        const task = o.pool
          .hash(path, Number(st.size))
          .then(({ sha256, size }) => {
            stats.hashed++;
            stats.hashedBytes += size;
            // Only remember a hash when the file did not change while it was read.
            if (size === Number(st.size)) o.cache?.remember(path, id, sha256);
            add({ path, size, meta: metadata(path, st, sha256, size, o), stamp });
            progress();
          }, fail)
          .finally(() => {
            hashSlots.release();
            hashing.delete(task);
          });
        hashing.add(task);
      }
      // Keep the walk from running far ahead of the server: as many batches waiting as in flight, at most (no await,
      // so no turn of the event loop, while the server keeps up), and no more uploads waiting than `uploadQueue`.
      while (sending.size > 2 * sendConcurrency) await Promise.race(sending);
      if (uploadSlots.waiting >= uploadQueue) await uploadSlots.whenWaitingBelow(uploadQueue);
    }
  }
  await Promise.all(hashing);
  flushBatch();
  await Promise.all(sending);
  while (running.size > 0) await Promise.all(running);
  // How many of the host's records the server holds without content, for the memory (when it needs asking again).
  if (sent && !fatal && !o.signal?.aborted) await recountSentRecords(o.client!, sent, o.onDebug);
  try {
    o.cache?.flush();
  } catch (err) {
    fatal ??= toUfsError(err);
  }
  o.onDebug?.(`scan: at most ${uploadSlots.maxWaiting} uploads waited for a slot (the walk waits at ${uploadQueue})`);
  return ended();
}
