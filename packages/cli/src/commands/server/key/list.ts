import { DedupClient } from '#cli/api/dedup-client.js';
import { serverFlags } from '#cli/api/server-flags.js';
import { serverTarget } from '#cli/api/server-target.js';
import { BaseCommand } from '#cli/base-command.js';
import { table } from '#cli/output/table.js';

interface KeyView {
  _id: string;
  name: string;
  description: string | null;
  created_at: string;
  last_used_at: string | null;
  is_active: boolean;
  scopes: string[];
}

export default class KeyList extends BaseCommand<typeof KeyList> {
  static override summary = 'List the API keys of a server (never the keys themselves).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --server http://127.0.0.1:8000 --api-key $ADMIN_KEY',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = { ...serverFlags };

  async run(): Promise<KeyView[]> {
    const client = new DedupClient(serverTarget(this.flags, await this.cliConfig(), this.typedFlags));
    const keys = await client.json<KeyView[]>('GET', '/api_keys');
    const rows = keys.map((k) => [
      k._id,
      k.name,
      k.is_active ? 'active' : 'revoked',
      k.scopes.join(','),
      k.created_at,
      k.last_used_at ?? '–',
    ]);
    this.out(table(rows, ['ID', 'NAME', 'STATE', 'SCOPES', 'CREATED', 'LAST USED']));
    return keys;
  }
}
