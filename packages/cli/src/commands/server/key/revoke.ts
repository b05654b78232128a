import { Args, Flags } from '@oclif/core';
import { AdminApi } from '#cli/api/admin-api.js';
import { keyTimeoutFlag } from '#cli/api/admin-flags.js';
import { serverFlags } from '#cli/api/server-flags.js';
import { serverTarget } from '#cli/api/server-target.js';
import { BaseCommand } from '#cli/base-command.js';

export default class KeyRevoke extends BaseCommand<typeof KeyRevoke> {
  static override summary = 'Revoke an API key (or delete it with --delete).';
  static override description =
    'A revoked key stays listed as inactive and is refused with 401 from then on. Success is reported only when the server says it revoked (or deleted) the key.';
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
    timeout: keyTimeoutFlag(),
  };

  async run(): Promise<{ id: string; action: 'revoked' | 'deleted'; message: string }> {
    const api = new AdminApi(serverTarget(this.flags, await this.cliConfig(), this.typedFlags), {
      timeoutSeconds: this.flags.timeout,
      debugNote: (line) => this.debugNote(line),
    });
    const id = encodeURIComponent(this.args.id);
    // The answer must say that the key was revoked (deleted): anything else is no success.
    const answer = this.flags.delete
      ? await api.call('DELETE', `/api_keys/${id}`, 'keyDeleted')
      : await api.call('PUT', `/api_keys/${id}/revoke`, 'keyRevoked');
    const action = this.flags.delete ? 'deleted' : 'revoked';
    this.out(`${action} ${this.args.id}`);
    return { id: this.args.id, action, message: answer.message };
  }
}
