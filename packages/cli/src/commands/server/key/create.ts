import { Args, Flags } from '@oclif/core';
import type { Scope } from '@org/server';
import { DedupClient } from '#cli/api/dedup-client.js';
import { serverFlags } from '#cli/api/server-flags.js';
import { serverTarget } from '#cli/api/server-target.js';
import { BaseCommand } from '#cli/base-command.js';
import { loadServerPackage } from '#cli/lazy.js';
import { placeFlags } from '#cli/serve/server-flags.js';
import { serverPlaces } from '#cli/serve/server-setup.js';

interface Created {
  api_key: string;
  _id: string;
  name: string;
  scopes: string[];
}

export default class KeyCreate extends BaseCommand<typeof KeyCreate> {
  static override summary = 'Create an API key and print it (it is shown only once).';
  static override description = [
    "Through the server's API (POST /api_keys, needs a key with the admin scope), or with --bootstrap directly in the server's store on this machine (the data directory of `ufs serve`, or --data-dir/--mongodb): that is how the first key of a server is made, since no HTTP endpoint creates keys without one.",
    'Only the key goes to stdout.',
  ].join('\n\n');
  static override examples = [
    {
      description: 'A read/write key for a scanning host',
      command: '<%= config.bin %> <%= command.id %> laptop --server http://127.0.0.1:8000 --api-key $ADMIN_KEY',
    },
    {
      description: 'The first (admin) key of a server, from its data directory',
      command: '<%= config.bin %> <%= command.id %> admin --bootstrap --data-dir /srv/ufs',
    },
  ];
  static override args = { name: Args.string({ description: 'Name of the key (1–100 characters)', required: true }) };
  static override flags = {
    ...serverFlags,
    ...placeFlags,
    description: Flags.string({ char: 'd', description: 'What the key is for.' }),
    scope: Flags.string({
      description:
        'Scopes, repeatable or comma-separated: --scope read --scope write, or --scope read,write (default read,write; --bootstrap: every scope).',
      multiple: true,
      // One value per --scope: the key's name may follow the flag.
      multipleNonGreedy: true,
      delimiter: ',',
      options: ['read', 'write', 'admin'] satisfies Scope[],
    }),
    bootstrap: Flags.boolean({
      description: 'Write the key straight into the local store instead of calling the API.',
    }),
  };

  async run(): Promise<Created> {
    const { name } = this.args;
    const scopes = this.flags.scope as Scope[] | undefined;
    let created: Created;
    if (this.flags.bootstrap) {
      const { createApiKey, createBootstrapKey, openStore } = await loadServerPackage();
      const places = await serverPlaces(this.flags, await this.cliConfig());
      const { store, close } = await openStore(places.store);
      try {
        const options = {
          name,
          ...(this.flags.description ? { description: this.flags.description } : {}),
          ...(scopes ? { scopes } : {}),
        };
        const { apiKey, record } = scopes
          ? await createApiKey(store, options)
          : await createBootstrapKey(store, options);
        created = { api_key: apiKey, _id: record.id, name: record.name, scopes: record.scopes };
      } finally {
        await close();
      }
      this.note(
        `created key "${name}" (id ${created._id}, scopes ${created.scopes.join(',')}) in ${places.storeDescription}`,
      );
    } else {
      const client = new DedupClient(serverTarget(this.flags, await this.cliConfig(), this.typedFlags));
      created = await client.json<Created>(
        'POST',
        '/api_keys',
        {
          name,
          ...(this.flags.description ? { description: this.flags.description } : {}),
          ...(scopes ? { scopes } : {}),
        },
        { maxAttempts: 1 },
      );
      this.note(`created key "${name}" (id ${created._id}, scopes ${created.scopes.join(',')}); it is shown only once`);
    }
    this.out(created.api_key);
    return created;
  }
}
