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

export default class ProviderStatus extends BaseCommand<typeof ProviderStatus> {
  static override summary = 'Show which providers are ready to upload, and why the others are not.';
  static override description = [
    'Without --online nothing is sent: readiness comes from configuration (env variables such as PIXELDRAIN_API_KEY).',
    'Provider options in the config file (upload.providerOptions, e.g. a pixeldrain apiKey, an s3 bucket, mount mounts and target) count, as they do for upload.',
    'With --online each ready provider (or each one named) gets a small test upload, verified by download and deleted where the service allows; the exit status is non-zero when any of those checks fails, or when a provider named is not ready (78, CONFIG_INVALID). An unknown provider id is a usage error (64).',
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
        if (!result.ready) {
          // Named on the command line but not ready: nothing can be checked, and that is a failure, not a pass.
          if (ids.length > 0) failures.push(this.notChecked(result));
          continue;
        }
        const check = await checkOnline(result.id, {
          timeoutMs: this.flags.timeout * 1000,
          maxAttempts: 1,
          // The config file already read (--config, UFS_CONFIG or the default): the library reads no other.
          config: { providerOptions },
        });
        result.online = {
          ok: check.ok,
          ms: check.ms,
          ...(check.result ? { url: check.result.url } : {}),
          ...(check.deleted !== undefined ? { deleted: check.deleted } : {}),
          ...(check.error ? { error: check.error.toJSON() } : {}),
        };
        if (check.error) failures.push(check.error);
      }
    }
    const rows = results.map((r) => {
      const state = r.ready ? 'ready' : 'not ready';
      const online = r.online ? (r.online.ok ? `online (${r.online.ms} ms)` : r.ready ? 'FAILED' : 'NOT CHECKED') : '';
      // The whole reason on the row's one line (a failed check's message lists its causes on lines of their own).
      const why = oneLine(
        r.online?.error && r.ready
          ? r.online.error.message
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
