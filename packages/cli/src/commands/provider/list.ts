import type { ProviderInfo } from '@org/core';
import { DEFAULT_PROVIDERS, formatBytes, listProviders } from '@org/providers';
import { BaseCommand } from '../../base-command.js';
import { table } from '../../output/table.js';

export default class ProviderList extends BaseCommand<typeof ProviderList> {
  static override summary = 'List the upload providers ufs knows, with their limits.';
  static override description =
    'Every registered provider: id, max size, retention, expiry choices, whether it needs an account, and whether it is one of the defaults.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {
      description: 'As JSON (ids, limits, env variables, capabilities)',
      command: '<%= config.bin %> <%= command.id %> --json',
    },
  ];

  async run(): Promise<Array<ProviderInfo & { default: boolean }>> {
    const infos = await listProviders();
    const rows = infos.map((info) => [
      info.id,
      info.maxSize === undefined ? '–' : formatBytes(info.maxSize),
      info.retention,
      info.expiryChoices?.join(' ') ?? (info.capabilities.expiry ? 'any' : '–'),
      info.auth,
      DEFAULT_PROVIDERS.includes(info.id) ? 'yes' : '',
    ]);
    this.out(table(rows, ['ID', 'MAX SIZE', 'RETENTION', 'EXPIRE', 'AUTH', 'DEFAULT']));
    return infos.map((info) => ({ ...info, default: DEFAULT_PROVIDERS.includes(info.id) }));
  }
}
