import { AdminApi } from '#cli/api/admin-api.js';
import type { Answer } from '#cli/api/admin-answers.js';
import { keyTimeoutFlag, printableKeyName } from '#cli/api/admin-flags.js';
import { serverFlags } from '#cli/api/server-flags.js';
import { serverTarget } from '#cli/api/server-target.js';
import { BaseCommand } from '#cli/base-command.js';
import { table } from '#cli/output/table.js';

export default class KeyList extends BaseCommand<typeof KeyList> {
  static override summary = 'List the API keys of a server (never the keys themselves).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --server http://127.0.0.1:8000 --api-key $ADMIN_KEY',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = { ...serverFlags, timeout: keyTimeoutFlag() };

  async run(): Promise<Answer<'keyList'>> {
    const api = new AdminApi(serverTarget(this.flags, await this.cliConfig(), this.typedFlags), {
      timeoutSeconds: this.flags.timeout,
      debugNote: (line) => this.debugNote(line),
    });
    const keys = await api.call('GET', '/api_keys', 'keyList', { retry: true });
    const rows = keys.map((k) => [
      k._id,
      // Names stored before the server refused control characters: escaped, not printed raw.
      printableKeyName(k.name),
      k.is_active ? 'active' : 'revoked',
      k.scopes.join(','),
      k.created_at,
      k.last_used_at ?? '–',
    ]);
    this.out(table(rows, ['ID', 'NAME', 'STATE', 'SCOPES', 'CREATED', 'LAST USED']));
    return keys;
  }
}
