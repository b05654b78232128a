import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { UfsError } from '@org/core';
import {
  assertKnownProviders,
  checkOnline,
  providerStatus,
  providerStatuses,
  type ProviderStatusReport,
} from '@org/providers';
import { BaseCommand } from '../../base-command.js';
import { asUfsError, exitCodeForFailures, oneLine } from '../../errors.js';
import { interruptedBy, onInterrupt } from '../../interrupt.js';
import { table } from '../../output/table.js';
import { timeoutFlagWithDefault } from '../../timeout-flag.js';

interface StatusJson {
  id: string;
  name: string;
  ready: boolean;
  reason?: string;
  help?: string;
  online?: { ok: boolean; ms: number; url?: string; deleted?: boolean; error?: ReturnType<UfsError['toJSON']> };
}

/** Online checks at a time (as many as there are providers): each is one small upload, a download and a delete. */
const CHECK_CONCURRENCY = 16;

export default class ProviderStatus extends BaseCommand<typeof ProviderStatus> {
  static override summary = 'Show which providers are ready to upload, and why the others are not.';
  static override description = [
    'Without --online nothing is sent: readiness comes from configuration (env variables such as PIXELDRAIN_API_KEY).',
    'Provider options in the config file (upload.providerOptions, e.g. a pixeldrain apiKey, an s3 bucket, mount mounts and target) count, as they do for upload.',
    "With --online each ready provider (or each one named) gets a small test upload, verified by download and deleted where the service allows (all at once, in a temporary folder under TMPDIR); the exit status is non-zero when any of those checks fails, or when a provider named is not ready (78, CONFIG_INVALID). An unknown provider id is a usage error (64); an unknown provider in the config file's providerOptions is refused as upload refuses it (78).",
    'SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the checks in flight, remove their temporary files, print the table so far and exit 130, 143 or 129; a second signal exits at once.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    { description: 'Check two services for real', command: '<%= config.bin %> <%= command.id %> --online catbox 0x0' },
  ];
  static override strict = false;
  static override args = { provider: Args.string({ description: 'Provider id(s) (default: all)' }) };
  static override flags = {
    online: Flags.boolean({ description: 'Upload a small test file to each ready provider and verify it.' }),
    timeout: timeoutFlagWithDefault(
      'Seconds per request of an online check (at most 2147483, about 24.8 days).',
      1,
      30,
    ),
  };

  async run(): Promise<StatusJson[]> {
    const ids = this.argList;
    if (ids.length > 0) checkIds(ids);
    // Provider options of the config file (a pixeldrain apiKey, s3 bucket, mount mounts/target…) count as for upload.
    const config = await this.cliConfig();
    const providerOptions = config.upload.providerOptions ?? {};
    // Refused as upload refuses it: the config file names a provider that does not exist (CONFIG_INVALID, 78).
    assertKnownProviders(Object.keys(providerOptions), 'providerOptions', 'config');
    const reports: ProviderStatusReport[] =
      ids.length > 0
        ? await Promise.all(ids.map((id) => providerStatus(id, process.env, { ...providerOptions[id] })))
        : await providerStatuses(process.env, providerOptions);
    const results: StatusJson[] = reports.map((r) => ({
      id: r.id,
      name: r.name,
      ready: r.ready,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.help ? { help: r.help } : {}),
    }));
    const failures: UfsError[] = [];
    if (this.flags.online) {
      for (const result of results) {
        // Named on the command line but not ready: nothing can be checked, and that is a failure, not a pass.
        if (!result.ready && ids.length > 0) failures.push(this.notChecked(result));
      }
      failures.push(
        ...(await this.checkAll(
          results.filter((r) => r.ready),
          providerOptions,
        )),
      );
    }
    const rows = results.map((r) => {
      const state = r.ready ? 'ready' : 'not ready';
      const online = r.online ? onlineState(r) : '';
      // The whole reason on the row's one line (a failed check's message lists its causes on lines of their own).
      const why = oneLine(
        r.online?.error && r.ready
          ? checkReason(r.id, r.online.error.message)
          : r.ready
            ? ''
            : `${r.reason ?? ''}${r.help ? ` — ${r.help}` : ''}`,
      );
      return this.flags.online ? [r.id, state, online, why] : [r.id, state, why];
    });
    const header = this.flags.online ? ['ID', 'STATUS', 'ONLINE', 'DETAILS'] : ['ID', 'STATUS', 'DETAILS'];
    this.out(table(rows, header));
    this.setExitStatus(exitCodeForFailures(failures));
    return results;
  }

  /**
   * The online checks of the ready providers, CHECK_CONCURRENCY at a time (each result goes to its own row, so the
   * order of the table stays that of the registry or the command line). Their temporary files are in one folder of
   * this run, removed at the end, and at once on a second signal (the first one stops the checks, which remove their
   * own). Returns the failures of the checks that ran to their end.
   */
  private async checkAll(
    ready: StatusJson[],
    providerOptions: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  ): Promise<UfsError[]> {
    let parent: string | undefined;
    const interrupt = onInterrupt(
      (signal) => new UfsError('ABORTED', `[ufs] provider status: interrupted (${signal})`),
      () => {
        if (parent) rmSync(parent, { recursive: true, force: true });
      },
    );
    const failures: Array<UfsError | undefined> = [];
    try {
      // A TMPDIR that cannot be used is said by each check (CONFIG_INVALID naming it): no folder of the run then.
      parent = await mkdtemp(join(tmpdir(), 'ufs-check-')).catch(() => undefined);
      let next = 0;
      const worker = async () => {
        while (next < ready.length && !interrupt.signal.aborted) {
          const index = next++;
          const result = ready[index]!;
          const check = await checkOnline(result.id, {
            timeoutMs: this.flags.timeout * 1000,
            maxAttempts: 1,
            // The config file already read (--config, UFS_CONFIG or the default): the library reads no other.
            config: { providerOptions },
            signal: interrupt.signal,
            ...(parent ? { tempDir: parent } : {}),
          });
          result.online = {
            ok: check.ok,
            ms: check.ms,
            ...(check.result ? { url: check.result.url } : {}),
            ...(check.deleted !== undefined ? { deleted: check.deleted } : {}),
            ...(check.error ? { error: check.error.toJSON() } : {}),
          };
          failures[index] = check.error;
        }
      };
      await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, ready.length) }, worker));
    } finally {
      interrupt.dispose();
      if (parent) await rm(parent, { recursive: true, force: true }).catch(() => undefined);
    }
    const by = interruptedBy();
    if (by) {
      const done = ready.filter((r) => r.online && r.online.error?.code !== 'ABORTED').length;
      for (const r of ready) {
        if (!r.online || r.online.error?.code === 'ABORTED') {
          const error = new UfsError('ABORTED', `[ufs] [${r.id}] check: interrupted (${by})`, {
            context: { provider: r.id, operation: 'check' },
          });
          r.online = { ok: false, ms: r.online?.ms ?? 0, error: error.toJSON() };
        }
      }
      this.note(`[ufs] provider status: interrupted (${by}): ${done} of ${ready.length} checks done`);
    }
    return failures.filter((error): error is UfsError => error !== undefined);
  }

  /** The failure of a provider named for --online that is not ready (CONFIG_INVALID: its configuration is missing). */
  private notChecked(result: StatusJson): UfsError {
    const error = new UfsError(
      'CONFIG_INVALID',
      `[ufs] [${result.id}] not checked: not ready: ${result.reason ?? 'not configured'}${result.help ? ` (${result.help})` : ''}`,
      { context: { provider: result.id, operation: 'check' } },
    );
    result.online = { ok: false, ms: 0, error: error.toJSON() };
    this.reportError(error);
    return error;
  }
}

/** The ONLINE column: the check's time, or why there is none. */
function onlineState(r: StatusJson): string {
  const online = r.online!;
  if (online.ok) return `online (${online.ms} ms)`;
  if (!r.ready) return 'NOT CHECKED';
  if (online.error?.code === 'ABORTED' && interruptedBy()) return 'STOPPED';
  return online.error?.context.operation === 'check' && online.error.message.includes('] not checked: ')
    ? 'NOT CHECKED'
    : 'FAILED';
}

/** A check's failure for the DETAILS column: its reason, without the `[ufs] [id] check: ` the message starts with. */
function checkReason(id: string, message: string): string {
  for (const prefix of ['[ufs] ', `[${id}] `, 'check: ', 'not checked: ']) {
    if (message.startsWith(prefix)) message = message.slice(prefix.length);
  }
  return message;
}

/** An unknown provider id on the command line is a usage error (64), not a broken configuration. */
function checkIds(ids: readonly string[]): void {
  try {
    assertKnownProviders(ids, 'arguments');
  } catch (err) {
    const error = asUfsError(err);
    throw new UfsError('INVALID_INPUT', `${error.message} (see ufs provider list)`, {
      context: error.context,
      cause: error,
    });
  }
}
