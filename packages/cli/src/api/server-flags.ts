import { Flags } from '@oclif/core';

/** `--server` and `--api-key`, shared by every command that talks to a dedup server. */
export const serverFlags = {
  server: Flags.string({
    char: 's',
    description: 'Dedup server URL (env UFS_SERVER; config "server.url").',
    env: 'UFS_SERVER',
  }),
  'api-key': Flags.string({
    char: 'k',
    description: 'API key (env UFS_API_KEY; config "server.apiKey").',
    env: 'UFS_API_KEY',
  }),
};
