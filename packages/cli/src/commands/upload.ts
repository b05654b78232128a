import { Args, Flags } from '@oclif/core';
import { toUfsError, type UfsError } from '@org/core';
import { formatBytes, uploadFiles, type BatchItem, type UploadEvent, type UploadFilesOptions } from '@org/providers';
import { BaseCommand } from '../base-command.js';
import { exitCodeForFailures } from '../errors.js';
import { onInterrupt } from '../interrupt.js';
import { ProgressLine, progressWanted } from '../output/progress.js';

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
    'Only the URLs go to stdout, one line per uploaded file in the order given; everything else goes to stderr. With several files, the exit status is non-zero when any failed.',
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
  ];

  static override strict = false;
  static override args = { file: Args.file({ description: 'File(s) to upload', required: true, exists: false }) };

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
      description: 'Download each URL and compare SHA-256 before printing it.',
      default: true,
      allowNo: true,
    }),
    concurrency: Flags.integer({
      char: 'c',
      description: 'Files uploaded at once (default: config, else 3).',
      min: 1,
      max: 64,
    }),
    timeout: Flags.integer({
      description: 'Seconds before one request (upload attempt or verification) is abandoned.',
      min: 1,
    }),
    retries: Flags.integer({ description: 'Attempts per provider, the first included (default 3).', min: 1, max: 20 }),
  };

  async run(): Promise<UploadItemJson[]> {
    const config = await this.cliConfig();
    const files = this.argList;
    const progress = new ProgressLine(progressWanted(this.jsonEnabled()));
    const loaded = new Map<string, string>();
    const interrupt = onInterrupt(() => new Error('interrupted'));
    const options: UploadFilesOptions = {
      config: config.upload,
      ...(this.flags.provider?.length ? { providers: this.flags.provider } : {}),
      ...(this.flags.expire !== undefined ? { expire: this.flags.expire } : {}),
      ...(this.flags.fragile ? { fragile: true } : {}),
      ...(this.flags.verify === false ? { verify: false } : {}),
      ...(this.flags.concurrency !== undefined ? { concurrency: this.flags.concurrency } : {}),
      ...(this.flags.timeout !== undefined ? { timeoutMs: this.flags.timeout * 1000 } : {}),
      ...(this.flags.retries !== undefined ? { maxAttempts: this.flags.retries } : {}),
      signal: interrupt.signal,
      onEvent: (event) => this.onEvent(event),
      onProgress: ({ item, phase, loaded: bytes, total }) => {
        if (!item) return;
        loaded.set(item, `${phase ?? ''} ${formatBytes(bytes)}${total ? `/${formatBytes(total)}` : ''}`);
        progress.update([...loaded].map(([file, state]) => `${file}: ${state}`).join(' | '));
      },
    };
    let items: BatchItem[];
    try {
      items = await uploadFiles(files, options);
    } finally {
      progress.done();
      interrupt.dispose();
    }
    const failures: UfsError[] = [];
    // Verification the user did not turn off but that did not happen (single-download services) gets a note.
    const verifyWanted = this.flags.verify !== false && config.upload.verify !== false;
    for (const item of items) {
      if (item.ok) {
        this.out(item.result.url);
        const { provider, verifySkipped } = item.result;
        if (verifySkipped && verifyWanted)
          this.note(`${files.length > 1 ? `${item.path}: ` : ''}${provider}: not verified: ${verifySkipped}`);
      } else {
        failures.push(item.error);
        if (files.length > 1) this.reportError(item.error);
      }
    }
    // One file: its error is the command's error (JSON printed by catch). Several: results plus a status.
    if (files.length === 1 && failures[0]) throw failures[0];
    this.setExitStatus(exitCodeForFailures(failures));
    if (failures.length > 0) this.note(`${failures.length} of ${files.length} uploads failed`);
    return items.map(toJson);
  }

  private onEvent(event: UploadEvent): void {
    switch (event.type) {
      case 'skip':
        this.debugNote(`${event.provider}: skipped: ${event.reason}`);
        break;
      case 'attempt':
        if (event.attempt > 1 || this.verbose) this.debugNote(`${event.provider}: attempt ${event.attempt}`);
        break;
      case 'retry':
        this.note(
          `${event.provider}: retrying in ${Math.round(event.delayMs)} ms: ${event.error.message.split('\n')[0]}`,
        );
        break;
      case 'failure':
        this.note(`${event.provider}: failed: ${event.error.message.split('\n')[0]}`);
        break;
      case 'verify':
        this.debugNote(`${event.provider}: verifying ${event.url}`);
        break;
      case 'success':
        this.debugNote(`${event.provider}: ok ${event.url}`);
        break;
    }
  }
}

function toJson(item: BatchItem): UploadItemJson {
  if (!item.ok) return { path: item.path, ok: false, error: toUfsError(item.error).toJSON() };
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
