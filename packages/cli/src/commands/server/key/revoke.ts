import { Args, Flags } from '@oclif/core';
import { DedupClient } from '#cli/api/dedup-client.js';
import { serverFlags } from '#cli/api/server-flags.js';
import { serverTarget } from '#cli/api/server-target.js';
import { BaseCommand } from '#cli/base-command.js';

export default class KeyRevoke extends BaseCommand<typeof KeyRevoke> {
  static override summary = 'Revoke an API key (or delete it with --delete).';
  static override description = 'A revoked key stays listed as inactive and is refused with 401 from then on.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 5f3c9a0e1b2d4c6e8f0a1b2c',
    {
      description: 'Remove the key entirely',
      command: '<%= config.bin %> <%= command.id %> --delete 5f3c9a0e1b2d4c6e8f0a1b2c',
    },
  ];
  static override args = { id: Args.string({ description: 'Key id (from `ufs server key list`)', required: true }) };
  static override flags = {
    ...serverFlags,
    delete: Flags.boolean({ description: 'Delete the key instead of revoking it.' }),
  };

  async run(): Promise<{ id: string; action: 'revoked' | 'deleted'; message: string }> {
    const client = new DedupClient(serverTarget(this.flags, await this.cliConfig(), this.typedFlags));
    const id = encodeURIComponent(this.args.id);
    const answer = this.flags.delete
      ? await client.json<{ message: string }>('DELETE', `/api_keys/${id}`, undefined, { maxAttempts: 1 })
      : await client.json<{ message: string }>('PUT', `/api_keys/${id}/revoke`, undefined, { maxAttempts: 1 });
    const action = this.flags.delete ? 'deleted' : 'revoked';
    this.out(`${action} ${this.args.id}`);
    return { id: this.args.id, action, message: answer.message };
  }
}
