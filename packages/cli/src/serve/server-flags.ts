import { Flags } from '@oclif/core';

/** Where the server keeps its data: shared by `serve` and the local (`--bootstrap`) admin commands. */
export const placeFlags = {
  'data-dir': Flags.string({ description: 'Data folder (default: config "serve.dataDir", else ~/.local/share/ufs).' }),
  mongodb: Flags.string({
    description: 'Keep metadata in MongoDB at this URI instead of the embedded SQLite store.',
    env: 'UFS_MONGODB_URI',
  }),
  content: Flags.string({
    description: 'Content mount: a folder or a storage URL such as s3://bucket/prefix (default: <data-dir>/content).',
  }),
};
