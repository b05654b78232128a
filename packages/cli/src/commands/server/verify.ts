import { Args, Flags } from '@oclif/core';
import { UfsError } from '@org/core';
import type { VerifyReport } from '@org/server';
import { DedupClient } from '../../api/dedup-client.js';
import { serverFlags } from '../../api/server-flags.js';
import { serverTarget } from '../../api/server-target.js';
import { BaseCommand } from '../../base-command.js';
import { exitCodeFor } from '../../errors.js';

export default class ServerVerify extends BaseCommand<typeof ServerVerify> {
  static override summary = 'Re-hash stored content and report what is missing or corrupt.';
  static override description =
    'Runs the integrity check on the server (POST /admin/verify, admin scope). With --repair, missing or corrupt content is removed so that clients are asked to upload it again. The exit status is 65 (INTEGRITY) when problems were found and not repaired, 69 (UNAVAILABLE) when some content could not be read (the server log says why).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {
      description: 'Check two contents and repair them if needed',
      command:
        '<%= config.bin %> <%= command.id %> --repair 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752',
    },
  ];
  static override strict = false;
  static override args = { sha256: Args.string({ description: 'Content hash(es) to check (default: all)' }) };
  static override flags = {
    ...serverFlags,
    repair: Flags.boolean({ description: 'Remove missing or corrupt content so it is uploaded again.' }),
  };

  async run(): Promise<VerifyReport> {
    const client = new DedupClient(serverTarget(this.flags, await this.cliConfig()));
    const report = await client.json<VerifyReport>(
      'POST',
      '/admin/verify',
      { ...(this.flags.repair ? { repair: true } : {}), ...(this.argList.length ? { sha256: this.argList } : {}) },
      { maxAttempts: 1 },
    );
    // A server older than this CLI does not report unreadable content.
    const unreadable = (report as Partial<VerifyReport>).unreadable ?? [];
    this.out(
      `checked ${report.checked}: ${report.ok} ok, ${report.missing.length} missing, ${report.corrupt.length} corrupt, ${report.repaired.length} repaired, ${unreadable.length} unreadable`,
    );
    for (const sha of report.missing) this.note(`missing: ${sha}`);
    for (const sha of report.corrupt) this.note(`corrupt: ${sha}`);
    for (const sha of unreadable) this.note(`unreadable (see the server log): ${sha}`);
    const unrepaired = [...report.missing, ...report.corrupt].filter((sha) => !report.repaired.includes(sha));
    if (unrepaired.length > 0) this.setExitStatus(exitCodeFor(new UfsError('INTEGRITY', 'unrepaired content')));
    else if (unreadable.length > 0) this.setExitStatus(exitCodeFor(new UfsError('UNAVAILABLE', 'unreadable content')));
    return report;
  }
}
