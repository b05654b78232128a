import { Flags } from '@oclif/core';
import { AdminApi } from '../../api/admin-api.js';
import type { Answer } from '../../api/admin-answers.js';
import { runTimeoutFlag } from '../../api/admin-flags.js';
import { serverFlags } from '../../api/server-flags.js';
import { serverTarget } from '../../api/server-target.js';
import { BaseCommand } from '../../base-command.js';

export default class ServerGc extends BaseCommand<typeof ServerGc> {
  static override summary = 'Remove stored content that no file record refers to.';
  static override description =
    "Runs garbage collection on the server (POST /admin/gc, admin scope). Content younger than the grace period is kept, and a concurrent upload of the same content is never lost. Orphan objects (no record in the store) are never removed when the store holds no content record, nor when they are more than 10 and more than 10 % of the stored objects (the store may not be this content's own: a wrong data folder, an old backup): the server refuses (exit status 64) and nothing is removed, unless --force.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --server http://127.0.0.1:8000 --api-key $ADMIN_KEY',
    {
      description: 'Only report what would go, counting content of any age',
      command: '<%= config.bin %> <%= command.id %> --dry-run --grace 0',
    },
  ];
  static override flags = {
    ...serverFlags,
    'dry-run': Flags.boolean({ char: 'n', description: 'Report what would be removed; remove nothing.' }),
    grace: Flags.integer({
      description: "Keep content younger than this many seconds (default: the server's, 1 h).",
      min: 0,
    }),
    force: Flags.boolean({
      description:
        'Remove orphan objects even when the store holds no content record or they are more than 10 % of the stored objects.',
    }),
    timeout: runTimeoutFlag(),
  };

  async run(): Promise<Answer<'gcReport'>> {
    const api = new AdminApi(serverTarget(this.flags, await this.cliConfig(), this.typedFlags), {
      timeoutSeconds: this.flags.timeout,
      debugNote: (line) => this.debugNote(line),
    });
    const report = await api.call('POST', '/admin/gc', 'gcReport', {
      body: {
        ...(this.flags['dry-run'] ? { dry_run: true } : {}),
        ...(this.flags.grace !== undefined ? { grace_seconds: this.flags.grace } : {}),
        ...(this.flags.force ? { force: true } : {}),
      },
    });
    const verb = report.dryRun ? 'would remove' : 'removed';
    // `deleted` and `orphans` name at most the server's first 1000 hashes; the counts are exact (older servers: none).
    const deleted = report.deletedCount ?? report.deleted.length;
    const orphans = report.orphansCount ?? report.orphans.length;
    this.out(
      `scanned ${report.scanned} contents; ${verb} ${deleted} unreferenced, ${orphans} orphan objects, ${report.tempObjects} temporary objects, ${report.expiredUploads} expired uploads`,
    );
    for (const sha of report.deleted) this.debugNote(`${verb}: ${sha}`);
    if (report.truncated) this.debugNote(`(the list above is cut at the server's limit of ${report.deleted.length})`);
    return report;
  }
}
