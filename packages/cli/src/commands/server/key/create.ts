import { Args, Flags } from '@oclif/core';
import { KEY_NAME_MAX, UfsError, keyNameProblem } from '@org/core';
import type { Scope } from '@org/server';
import { AdminApi } from '#cli/api/admin-api.js';
import type { Answer } from '#cli/api/admin-answers.js';
import { keyTimeoutFlag } from '#cli/api/admin-flags.js';
import { serverFlags } from '#cli/api/server-flags.js';
import { serverTarget } from '#cli/api/server-target.js';
import { BaseCommand } from '#cli/base-command.js';
import { loadServerPackage } from '#cli/lazy.js';
import { placeFlags } from '#cli/serve/server-flags.js';
import { serverPlaces } from '#cli/serve/server-setup.js';

/**
 * The server's limit on a key's description (`createKeySchema` in packages/server api-keys.controller.ts); its rule
 * for names is `keyNameProblem` (@org/core, as the server's). Checked here for both ways of creating a key, before anything is
 * opened or sent.
 */
const DESCRIPTION_MAX = 1000;

/** Flags of the API way only, and of the --bootstrap way only (typed ones: env values such as UFS_SERVER may stay). */
const API_ONLY = ['server', 'api-key', 'timeout'] as const;
const BOOTSTRAP_ONLY = ['data-dir', 'mongodb', 'content'] as const;

export default class KeyCreate extends BaseCommand<typeof KeyCreate> {
  static override summary = 'Create an API key and print it (it is shown only once).';
  static override description = [
    "Through the server's API (POST /api_keys, needs a key with the admin scope; --server, --api-key), or with --bootstrap directly in the server's store on this machine (the data directory of `ufs serve`, or --data-dir/--mongodb/--content): that is how the first key of a server is made, since no HTTP endpoint creates keys without one.",
    'Only the key goes to stdout; with --json, the key and its record (the same fields either way).',
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
  static override args = {
    name: Args.string({
      description: `Name of the key (1–${KEY_NAME_MAX} characters, not only spaces, no control characters)`,
      required: true,
    }),
  };
  static override flags = {
    ...serverFlags,
    ...placeFlags,
    description: Flags.string({
      char: 'd',
      description: `What the key is for (at most ${DESCRIPTION_MAX} characters).`,
    }),
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
      description:
        'Write the key straight into the local store (--data-dir, --mongodb, --content) instead of calling the API.',
    }),
    timeout: keyTimeoutFlag(),
  };

  async run(): Promise<Answer<'keyCreated'>> {
    const { name } = this.args;
    this.checkInput(name);
    const scopes = this.flags.scope as Scope[] | undefined;
    const description = this.flags.description;
    let created: Answer<'keyCreated'>;
    if (this.flags.bootstrap) {
      const { createApiKey, createBootstrapKey, openStore } = await loadServerPackage();
      const places = await serverPlaces(this.flags, await this.cliConfig());
      const { store, close } = await openStore(places.store);
      try {
        const options = { name, ...(description ? { description } : {}), ...(scopes ? { scopes } : {}) };
        const { apiKey, record } = scopes
          ? await createApiKey(store, options)
          : await createBootstrapKey(store, options);
        // The fields POST /api_keys answers (its key view, without last_used_at).
        created = {
          api_key: apiKey,
          _id: record.id,
          name: record.name,
          description: record.description,
          created_at: record.created_at,
          is_active: record.is_active,
          scopes: record.scopes,
          rate_limit_per_minute: record.rate_limit_per_minute,
        };
      } finally {
        await close();
      }
      this.note(
        `created key "${name}" (id ${created._id}, scopes ${created.scopes.join(',')}) in ${places.storeDescription}`,
      );
    } else {
      const api = new AdminApi(serverTarget(this.flags, await this.cliConfig(), this.typedFlags), {
        timeoutSeconds: this.flags.timeout,
        debugNote: (line) => this.debugNote(line),
      });
      created = await api.call('POST', '/api_keys', 'keyCreated', {
        body: { name, ...(description ? { description } : {}), ...(scopes ? { scopes } : {}) },
      });
      this.note(`created key "${name}" (id ${created._id}, scopes ${created.scopes.join(',')}); it is shown only once`);
    }
    this.out(created.api_key);
    return created;
  }

  /** The name and description within the server's limits, and flags of one way only: usage errors (64). */
  private checkInput(name: string): void {
    const refuse = (message: string) => {
      throw new UfsError('INVALID_INPUT', `[ufs] ${message} (see --help)`, { context: { operation: 'key create' } });
    };
    const problem = keyNameProblem(name);
    if (problem) refuse(`NAME ${problem}`);
    const description = this.flags.description ?? '';
    // Characters (code points), as the server counts them: an emoji is one.
    const descriptionLength = [...description].length;
    if (descriptionLength > DESCRIPTION_MAX)
      refuse(`--description is longer than ${DESCRIPTION_MAX} characters (${descriptionLength})`);
    const typed = (names: readonly string[]) => names.filter((flag) => this.typedFlags.has(flag)).map((f) => `--${f}`);
    if (this.flags.bootstrap) {
      const api = typed(API_ONLY);
      if (api.length > 0)
        refuse(
          `${api.join(', ')} cannot be used with --bootstrap, which writes the key into the local store (--data-dir, --mongodb, --content) instead of calling a server`,
        );
    } else {
      const local = typed(BOOTSTRAP_ONLY);
      if (local.length > 0)
        refuse(
          `${local.join(', ')} ${local.length > 1 ? 'go' : 'goes'} with --bootstrap (the local store to write the key into); without it the key is created through the server's API (--server, --api-key)`,
        );
    }
  }
}
