import { Args, Flags } from '@oclif/core';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { UfsError } from '@org/core';
import { DedupClient } from '../api/dedup-client.js';
import { serverFlags } from '../api/server-flags.js';
import { timeoutFlagWithDefault } from '../timeout-flag.js';
import { serverTarget } from '../api/server-target.js';
import { BaseCommand } from '../base-command.js';
import { cacheDir, expandPath } from '../config/paths.js';
import type { CliConfig } from '../config/cli-config.js';
import { errorJson, escapeControls, exitCodeFor } from '../errors.js';
import { onInterrupt } from '../interrupt.js';
import { ProgressLine, progressWanted } from '../output/progress.js';
import { parseSize } from '../output/size.js';
import { HashCache } from '../scan/cache.js';
import { scanExitStatus } from '../scan/exit-status.js';
import { HashPool, defaultHashThreads } from '../scan/hash-pool.js';
import { runScan, type ScanResult } from '../scan/scanner.js';
import { stopGraceSignal } from '../scan/stop-grace.js';
import { progressText, shownName, summaryText, type ScanStats } from '../scan/stats.js';

function ipAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const addr of list ?? []) if (addr.family === 'IPv4' && !addr.internal) return addr.address;
  }
  return '127.0.0.1';
}

/** Why a host name cannot be recorded (the server refuses it), or undefined. */
function hostnameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  // Characters (code points), as the server counts them: an emoji is one.
  const length = [...name].length;
  if (length > 255) return `is longer than 255 characters (${length})`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  return undefined;
}

/** The host name to record: --hostname (a bad one is a usage error), else the config's, else this machine's. */
function scanHostname(flag: string | undefined, config: CliConfig): string {
  if (flag !== undefined) {
    const problem = hostnameProblem(flag);
    if (problem) throw new UfsError('INVALID_INPUT', `[ufs] --hostname ${problem} (see --help)`);
    return flag;
  }
  const configured = config.scan.hostname;
  if (configured !== undefined) {
    const problem = hostnameProblem(configured);
    if (problem) throw new UfsError('CONFIG_INVALID', `[ufs] config "${config.path}": scan.hostname ${problem}`);
    return configured;
  }
  return osHostname();
}

/** The default --timeout: a server that answers nothing for a minute is taken as gone. */
const SCAN_TIMEOUT_SECONDS = 60;

export default class Scan extends BaseCommand<typeof Scan> {
  static override summary = 'Catalogue files on a dedup server, uploading only content it does not have.';
  static override description = [
    'Walks each PATH (gitignore-style --exclude patterns and .ufsignore files apply; symbolic links are recorded as links, not followed, unless --follow-symlinks), hashes files on worker threads (SHA-256), and remembers hashes by (path, size, mtime, inode) in a local SQLite cache so unchanged files are not read again.',
    'Records go to the server in batches (a few requests in flight); only content the server asks for is uploaded, once per run: small files in one request, large ones (--tus-threshold) with the resumable tus protocol, resumed on the next run if interrupted.',
    "The cache also remembers which records each server accepted (and holds the content of), under the server's catalogue epoch and the host's catalogue revision: an unchanged file is not sent again (counted as unchanged) until the server reports a new epoch, which it does whenever it deletes a record or removes content (gc, verify --repair), or a revision of the host other than the one this scan's own batches left (another client wrote records of the host, or the server's data was restored from a backup taken before records this scan sent), or more records of the host without content than when this scan last wrote it (the server's data was restored from a backup taken before content this scan uploaded). --resend (or --rehash) sends everything again; --no-cache remembers nothing.",
    "A file that cannot be catalogued fails alone, named by its path, and the others go on: a record the server refuses (checked before it is sent, and again when the server names it), content over the server's size limit, a file that changed while it was being scanned (scan again), a file or folder that cannot be read. Identical files share one upload: when it fails because of its file (changed, gone, unreadable), the content is uploaded from the next identical file; when it fails because of the content (over the size limit, refused), every identical file fails with it. A file counts as deduplicated only once the server holds its content. A batch larger than the server takes (413) is sent in smaller ones.",
    'Prints a summary (files, bytes, unchanged, new, deduplicated, uploaded, failed); the bytes of "uploaded" (uploadedBytes in --json) are those this scan sent: a resumable upload that continued one an earlier run left counts only the part it sent, and one that Ctrl-C or a failure cut short counts the part the server confirmed holding (a later run continues after it). The exit status is 0 when nothing failed; otherwise the status the failures share, or 1 when they differ. A file\'s failure is never a usage error: a record the server refuses exits 65 (data error), as does a file that changed while it was scanned or content over the server\'s limit; a local file or folder that cannot be read (permission denied) exits 66, as a file gone (77 is the server refusing the API key).',
    "An error that stops the scan (a bad API key, a server that no longer answers) still prints the summary of what was done until then (with --json, the summary together with the error), then exits with that error's status.",
    "A server that answers nothing for --timeout seconds (default 60) stops the scan with TIMEOUT naming it. After the last byte of a resumable upload the server verifies and commits it before it answers: once that PATCH has gone unanswered for half of --timeout, the scan asks the server about the upload (HEAD); a server that says it is finishing it (503 with Retry-After) is waited for, and asked again, up to ten times --timeout after the last byte (10 minutes by default): a server still finishing then fails that upload alone with TIMEOUT (retryable: scan again later), and the scan goes on with the other files; one that reports every byte held has finished it; otherwise (another answer, or none) the upload fails with TIMEOUT --timeout after the last byte. A file that is gone, or is no longer a regular file (a FIFO put in its place), when it is read fails alone, as the local file's failure (66 for a file gone, 65 otherwise).",
    'Ctrl-C (or SIGTERM) stops the scan cleanly within about a second, requests under way included (hashes and upload URLs found so far are kept in the cache; the summary is printed; exit status 130, 143 for SIGTERM); a second Ctrl-C exits at once. No request starts after the stop; a batch of records, or a small upload whose bytes are all sent, gets 1.5 s more for its answer, and what it says counts (the server may have stored it). Records the server took whose content the stop left without uploading (an upload the stop cut short included) are counted as "not uploaded" in the summary (notUploaded in --json): a later scan uploads it. Records of a batch still unanswered then are counted as "unanswered" (unanswered in --json): the server may hold them, without content (scan again); batches not yet sent are not. Neither is counted as failed.',
  ].join('\n\n');
  static override examples = [
    {
      description: 'Scan a folder into a server',
      command: '<%= config.bin %> <%= command.id %> ~/photos --server http://127.0.0.1:8000 --api-key $KEY',
    },
    {
      description: 'See what would be catalogued, without contacting a server',
      command: '<%= config.bin %> <%= command.id %> --dry-run --exclude "*.tmp" --exclude node_modules/ .',
    },
    {
      description: 'JSON summary, as another host name',
      command:
        'UFS_SERVER=http://nas:8000 UFS_API_KEY=YOUR-API-KEY <%= config.bin %> <%= command.id %> --hostname laptop --json /srv/data',
    },
  ];
  static override strict = false;
  static override args = { path: Args.string({ description: 'Folder(s) or file(s) to scan', required: true }) };
  static override flags = {
    ...serverFlags,
    hostname: Flags.string({
      description:
        'Host name recorded with every file, 1 to 255 characters, no control characters (default: config "scan.hostname", else this machine\'s).',
    }),
    exclude: Flags.string({
      char: 'x',
      description: 'gitignore-style pattern to leave out (repeatable), e.g. "*.tmp", "node_modules/".',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'ignore-files': Flags.boolean({
      description: 'Read .ufsignore files (gitignore syntax).',
      default: true,
      allowNo: true,
    }),
    'follow-symlinks': Flags.boolean({
      char: 'L',
      description: 'Follow symbolic links (loops are detected) instead of recording them as links.',
    }),
    'dry-run': Flags.boolean({ char: 'n', description: 'Walk and hash only; do not contact the server.' }),
    concurrency: Flags.integer({
      char: 'c',
      description: 'Hashing threads (default: one per core, at most 8).',
      min: 1,
      max: 64,
    }),
    uploads: Flags.integer({ description: 'Uploads at once.', default: 4, min: 1, max: 32 }),
    'batch-size': Flags.integer({
      description:
        'Records per metadata request, 1 to 10000 (default: config, else 500). A server that takes fewer (a ufs server takes 1000 unless configured otherwise) gets smaller batches.',
      min: 1,
      max: 10_000,
    }),
    cache: Flags.string({
      description: 'Hash cache file (default: config "scan.cache", else ~/.cache/ufs/scan-cache.sqlite).',
    }),
    'no-cache': Flags.boolean({ description: 'Use no cache: hash and send everything, remember nothing.' }),
    rehash: Flags.boolean({ description: 'Hash every file again (the cache is refreshed); implies --resend.' }),
    resend: Flags.boolean({ description: 'Send every record again, even unchanged ones.' }),
    'tus-threshold': Flags.string({
      description: 'Files at least this large are uploaded resumably (tus).',
      default: '64MiB',
    }),
    timeout: timeoutFlagWithDefault(
      `Seconds to wait for the server's answer to a request (a batch of records, the catalogue epoch) or, during an upload, for the server to take or answer anything, before the scan stops with TIMEOUT naming the server (default ${SCAN_TIMEOUT_SECONDS}; 0: no limit; at most 2147483, about 24.8 days).`,
      0,
      SCAN_TIMEOUT_SECONDS,
    ),
    'tus-chunk-size': Flags.string({
      description:
        'Bytes per tus request (default: the whole file in one request; after a break the upload resumes from the bytes the server kept). Set it when a proxy limits request bodies.',
    }),
  };

  async run(): Promise<{
    stats: ScanStats;
    dryRun: boolean;
    hostname: string;
    server?: string;
    failures: ReturnType<UfsError['toJSON']>[];
  }> {
    const config = await this.cliConfig();
    const f = this.flags;
    const dryRun = f['dry-run'];
    const hostname = scanHostname(f.hostname, config);
    const target = dryRun ? undefined : serverTarget(f, config, this.typedFlags);
    const cachePath =
      f.cache ?? (config.scan.cache ? expandPath(config.scan.cache) : join(cacheDir(), 'scan-cache.sqlite'));
    const cache = f['no-cache'] ? undefined : new HashCache(cachePath);
    const pool = new HashPool(f.concurrency ?? defaultHashThreads(), f['follow-symlinks']);
    const progress = new ProgressLine(progressWanted(this.jsonEnabled()), 200);
    const interrupt = onInterrupt();
    // Every request listens to the stop signal and has a deadline: Ctrl-C is not left waiting for a silent server.
    const client = target
      ? new DedupClient(target, {
          // A request under way when the stop comes gets its answer for a moment more (see STOP_GRACE_MS).
          signal: stopGraceSignal(interrupt.signal),
          ...(f.timeout > 0 ? { timeoutMs: f.timeout * 1000 } : {}),
        })
      : undefined;
    const started = performance.now();
    this.debugNote(
      `scan: ${this.argList.map(shownName).join(', ')} as ${escapeControls(hostname)}${client ? ` → ${client.shown}` : ' (dry run)'}; cache ${cache?.path ?? 'off'}`,
    );
    let result: ScanResult;
    try {
      result = await runScan({
        roots: this.argList,
        exclude: [...(config.scan.exclude ?? []), ...(f.exclude ?? [])],
        followSymlinks: f['follow-symlinks'],
        ignoreFiles: f['ignore-files'],
        hostname,
        ipAddress: ipAddress(),
        dryRun,
        ...(client ? { client } : {}),
        pool,
        ...(cache ? { cache } : {}),
        rehash: f.rehash,
        resend: f.resend || f.rehash,
        uploadConcurrency: f.uploads,
        batchSize: f['batch-size'] ?? config.scan.batchSize ?? 500,
        tusThreshold: parseSize(f['tus-threshold'], '--tus-threshold'),
        ...(f['tus-chunk-size'] === undefined
          ? {}
          : { tusChunkSize: parseSize(f['tus-chunk-size'], '--tus-chunk-size') }),
        ...(f.timeout > 0 ? { tusTimeoutMs: f.timeout * 1000 } : {}),
        signal: interrupt.signal,
        onProgress: (stats, uploading) => progress.update(() => progressText(stats, dryRun, uploading)),
        onFailure: (error) => {
          progress.done();
          this.reportError(error);
        },
        // The walk's lines quote the PATHs: escaped, a terminal escape in a name is not run (see errors.ts).
        onDebug: (message) => this.debugNote(escapeControls(message)),
      });
    } finally {
      progress.done();
      interrupt.dispose();
      cache?.close();
      await pool.close();
    }
    const { stats, errors, stopped } = result;
    this.out(summaryText(stats, dryRun, (performance.now() - started) / 1000));
    const summary = {
      stats,
      dryRun,
      hostname,
      ...(client ? { server: client.shown } : {}),
      failures: errors.map((e) => e.toJSON()),
    };
    if (stopped) {
      // What was done before the error, then the error: one line, and its exit status.
      if (this.jsonEnabled()) this.logJson({ ...summary, ...errorJson(stopped) });
      this.reportError(stopped);
      return this.exit(exitCodeFor(stopped));
    }
    this.setExitStatus(scanExitStatus(errors));
    if (errors.length > 0 && !this.jsonEnabled())
      this.note(`${errors.length} failure(s); first: ${this.oneLine(errors[0]!)}`);
    return summary;
  }
}
