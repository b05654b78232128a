import { Args, Flags } from '@oclif/core';
import { UfsError, allowManyListeners, toUfsError } from '@org/core';
import { formatBytes, resolveUploadSettings, type BatchItem, type UploadFilesOptions } from '@org/providers';
import { BaseCommand } from '../base-command.js';
import { exitCodeForFailures, namesOf, oneLine } from '../errors.js';
import { interruptedBy, onInterrupt } from '../interrupt.js';
import { ProgressLine, progressWanted } from '../output/progress.js';
import { whenStdoutFails } from '../output/stdout.js';
import { uploadAll } from '../upload/batches.js';
import { InOrder } from '../upload/in-order.js';
import { FileNotes, providerFlag, shownName } from '../upload/notes.js';
import { STDIN, Spools } from '../upload/spool.js';
import { namingTimeoutFlag } from '../upload/timeout-note.js';
import { timeoutFlag } from '../timeout-flag.js';

export interface UploadItemJson {
  path: string;
  ok: boolean;
  url?: string;
  provider?: string;
  size?: number;
  sha256?: string;
  expiresAt?: string;
  deleteUrl?: string;
  deleteToken?: string;
  verified?: boolean;
  verifySkipped?: string;
  timings?: Record<string, number | undefined>;
  report?: unknown[];
  error?: ReturnType<UfsError['toJSON']>;
}

export default class Upload extends BaseCommand<typeof Upload> {
  static override summary = 'Upload files to a hosting provider and print their URLs.';
  static override description = [
    'Providers are tried in order, each with retries on transient failures, falling back to the next on failure (unless --fragile). Every URL is downloaded and compared by SHA-256 before it is printed (unless --no-verify).',
    'Provider order: --provider, else env UFS_PROVIDERS, else the config file ("providers"), else the defaults.',
    "Only the URLs go to stdout: exactly one line per file, in the order given, and an empty line for a file that failed (its error goes to stderr, one line naming it), so line N is always the URL of file N; line N is printed as soon as files 1 to N are done. Everything else goes to stderr (a provider that failed is told when a later one took the file; every attempt with --verbose). With --json, an array with one item per file in the same order (a failed one with ok: false and its error). The exit status is 0 when every file was uploaded, else the status of the failures' common code (1 when their codes differ).",
    'SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the uploads in flight, keep the URLs already printed (an empty line for each file stopped), remove the spooled copies (see below), and exit 130, 143 or 129; a second signal exits at once.',
    'FILE "-" reads stdin: it is spooled to a temporary file in TMPDIR (streamed, removed once uploaded) so that retries, fallback and verification can read it again; the services see the name "stdin". The other files upload meanwhile; the upload of stdin starts at its end. Files whose size is not their content\'s (in /proc, /sys and the like) are spooled the same way first, under their own name.',
  ].join('\n\n');

  static override examples = [
    {
      description: 'Upload a file with the configured providers',
      command: '<%= config.bin %> <%= command.id %> photo.jpg',
    },
    {
      description: 'Try 0x0 first, then litterbox; keep the file 24 hours (both can choose how long)',
      command: '<%= config.bin %> <%= command.id %> --provider 0x0,litterbox --expire 24h report.pdf',
    },
    {
      description: 'Three files, two at a time, structured results',
      command: '<%= config.bin %> <%= command.id %> --concurrency 2 --json a.png b.png c.png',
    },
    {
      description: 'Upload what a command writes (stdin)',
      command: 'tar cz src | <%= config.bin %> <%= command.id %> -p 0x0 -',
    },
  ];

  static override strict = false;
  static override args = {
    file: Args.file({ description: 'File(s) to upload ("-" for stdin)', required: true, exists: false }),
  };

  static override flags = {
    provider: Flags.string({
      char: 'p',
      description: 'Providers to try, in order (comma-separated or repeated), e.g. "0x0,catbox".',
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
    }),
    expire: Flags.string({
      char: 'e',
      description: 'Requested retention, e.g. 1h, 24h, 7d (providers that cannot choose expiry are skipped).',
    }),
    fragile: Flags.boolean({ description: 'Stop at the first provider that fails instead of falling back.' }),
    verify: Flags.boolean({
      description:
        "Download each URL and compare SHA-256 before printing it (typed, it wins over the config's verify).",
      default: true,
      allowNo: true,
    }),
    concurrency: Flags.integer({
      char: 'c',
      description: 'Files uploaded at once (default: config, else 3).',
      min: 1,
      max: 64,
    }),
    timeout: timeoutFlag(
      'Seconds before one request (upload attempt or verification) is abandoned, whatever its progress (default: none; --idle-timeout applies in any case, except to mount writes, which have their mount’s own timeouts; at most 2147483, about 24.8 days).',
      1,
    ),
    'idle-timeout': timeoutFlag(
      "Seconds a request may go without progress: no answer after the file was sent, the server taking none of it, or no data in an answer. Applies to every request of the HTTP providers, s3 and dropbox, and to verification downloads; not to mount writes, which have the mounts' own timeouts (--timeout applies to them) (default: config idleTimeoutMs, else 60; 0: off; at most 2147483, about 24.8 days).",
      0,
    ),
    retries: Flags.integer({ description: 'Attempts per provider, the first included (default 3).', min: 1, max: 20 }),
  };

  /** The temporary copies of stdin and of /proc or /sys files (each shown under the name typed). */
  private readonly spools = new Spools();

  async run(): Promise<UploadItemJson[]> {
    const config = await this.cliConfig();
    const files = this.argList;
    if (files.filter((file) => file === STDIN).length > 1) {
      throw new UfsError('INVALID_INPUT', '[ufs] "-" (stdin) can be given once only (see --help)');
    }
    const providers = this.flags.provider === undefined ? undefined : providerFlag(this.flags.provider);
    const progress = new ProgressLine(progressWanted(this.jsonEnabled()));
    const loaded = new Map<string, string>();
    // SIGINT, SIGTERM, SIGHUP: stop, keep the URLs printed so far, remove the spool; a second one: remove it, exit.
    const interrupt = onInterrupt(
      (signal) => new UfsError('ABORTED', `[ufs] upload: interrupted (${signal})`),
      () => this.spools.removeAllSync(),
    );
    // A stdout that fails (its reader gone, a full disk) stops the uploads too: nobody would see their URLs.
    const stop = new AbortController();
    const unwatch = whenStdoutFails(() => stop.abort(new UfsError('ABORTED', '[ufs] upload: stdout failed')));
    const signal = allowManyListeners(AbortSignal.any([interrupt.signal, stop.signal]));
    const show = (path: string) => this.spools.shown(path);
    const options: UploadFilesOptions = {
      config: config.upload,
      ...(providers ? { providers } : {}),
      ...(this.flags.expire !== undefined ? { expire: this.flags.expire } : {}),
      ...(this.flags.fragile ? { fragile: true } : {}),
      // A typed --verify or --no-verify wins over the config's `verify` (the flag's default does not).
      ...(this.typedFlags.has('verify') ? { verify: this.flags.verify } : {}),
      ...(this.flags.concurrency !== undefined ? { concurrency: this.flags.concurrency } : {}),
      ...(this.flags.timeout !== undefined ? { timeoutMs: this.flags.timeout * 1000 } : {}),
      ...(this.flags['idle-timeout'] !== undefined ? { idleTimeoutMs: this.flags['idle-timeout'] * 1000 } : {}),
      ...(this.flags.retries !== undefined ? { maxAttempts: this.flags.retries } : {}),
      signal,
      onProgress: ({ item, phase, loaded: bytes, total }) => {
        if (!item) return;
        loaded.set(show(item), `${phase ?? ''} ${formatBytes(bytes)}${total ? `/${formatBytes(total)}` : ''}`);
        progress.update([...loaded].map(([file, state]) => `${file}: ${state}`).join(' | '));
      },
    };
    // Verification the user did not turn off but that did not happen (single-download services) gets a note.
    const verifyWanted = this.typedFlags.has('verify') ? this.flags.verify : config.upload.verify !== false;
    const failures: UfsError[] = [];
    const notes = new FileNotes(
      files,
      (line) => {
        progress.done();
        this.note(line);
      },
      this.verbose,
      (error) => this.forUser(error),
    );
    // Line N of stdout is the URL of file N (empty when it failed), printed once files 1..N are done.
    const lines = new InOrder<string>((line) => this.out(line));
    const settle = (index: number, batchItem: BatchItem) => {
      const item = { ...batchItem, path: files[index]! } as BatchItem;
      progress.done();
      if (item.ok) {
        notes.succeeded(index);
        const { provider, verifySkipped } = item.result;
        if (verifySkipped && verifyWanted)
          this.note(
            `${files.length > 1 ? `${shownName(item.path)}: ` : ''}${provider}: not verified: ${verifySkipped}`,
          );
      } else {
        const error = this.forUser(item.error);
        failures.push(error);
        notes.failed(index);
        // Stopped (a signal, stdout gone): one line at the end says so, not one per file, unless a copy was left.
        const stopped = signal.aborted && error.code === 'ABORTED' && !error.context.uploaded;
        if (!stopped) this.reportError(error.message.includes(`"${item.path}"`) ? error : this.named(item.path, error));
      }
      lines.add(index, item.ok ? item.result.url : '');
    };
    let items: BatchItem[];
    try {
      const settings = await resolveUploadSettings(options);
      if (process.stdin.isTTY && files.includes(STDIN)) this.note('reading stdin (end with Ctrl-D)');
      items = await uploadAll(files, {
        options,
        concurrency: options.concurrency ?? settings.concurrency,
        spools: this.spools,
        signal,
        onFileEvent: (index, event) => notes.event(index, event),
        onSettled: settle,
      });
    } finally {
      progress.done();
      interrupt.dispose();
      unwatch();
      await this.spools.removeAll();
    }
    const by = interruptedBy();
    const done = items.filter((item) => item.ok).length;
    if (by) {
      this.note(
        `[ufs] upload: interrupted (${by}): ${done} of ${files.length} file${files.length === 1 ? '' : 's'} uploaded`,
      );
    } else if (failures.length > 0 && files.length > 1 && !stop.signal.aborted) {
      // (stdout failed: its own line, or none for a reader gone, ends the command; see output/stdout.ts)
      this.note(`${failures.length} of ${files.length} uploads failed`);
    }
    this.setExitStatus(exitCodeForFailures(failures));
    return items.map((item, index) => toJson({ ...item, path: files[index]! } as BatchItem, this.forUser.bind(this)));
  }

  /** The temporary copies shown in messages under the names typed ("-" for stdin, "/proc/cpuinfo"). */
  protected override forUser(failure: UfsError): UfsError {
    const error = namingTimeoutFlag(failure);
    const spooled = this.spools.entries().filter(([path]) => error.message.includes(path));
    if (spooled.length === 0) return error;
    let message = error.message;
    for (const [path, shown] of spooled) message = message.split(path).join(shown);
    const path = typeof error.context.path === 'string' ? this.spools.shown(error.context.path) : undefined;
    return new UfsError(error.code, message, {
      context: { ...error.context, ...(path !== undefined ? { path } : {}) },
      cause: error.cause,
      retryable: error.retryable,
      retryAfterMs: error.retryAfterMs,
    });
  }

  /** An error whose message does not name the file, prefixed with it. */
  private named(path: string, error: UfsError): UfsError {
    const message = oneLine(error.message, [...namesOf(error), path]).replace(/^\[ufs\]\s*/, '');
    return new UfsError(error.code, `[ufs] upload "${path}": ${message}`, {
      context: { ...error.context, path },
      cause: error,
      retryable: error.retryable,
    });
  }
}

function toJson(item: BatchItem, forUser: (error: UfsError) => UfsError): UploadItemJson {
  if (!item.ok) return { path: item.path, ok: false, error: forUser(toUfsError(item.error)).toJSON() };
  const r = item.result;
  return {
    path: item.path,
    ok: true,
    url: r.url,
    provider: r.provider,
    size: r.size,
    sha256: r.sha256,
    ...(r.expiresAt ? { expiresAt: r.expiresAt.toISOString() } : {}),
    ...(r.deleteUrl ? { deleteUrl: r.deleteUrl } : {}),
    ...(r.deleteToken ? { deleteToken: r.deleteToken } : {}),
    verified: r.verified,
    ...(r.verifySkipped ? { verifySkipped: r.verifySkipped } : {}),
    timings: { ...r.timings },
    report: r.report,
  };
}
