import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { redactUrl } from '@org/core';
import type { StoreOptions } from '@org/server';
import type { CliConfig } from '../config/cli-config.js';
import { dataDir, expandPath } from '../config/paths.js';

export interface ServerPlaces {
  dataDir: string;
  store: StoreOptions;
  /** Content mount: a folder path or a storage URL (`s3://…`). */
  content: string;
  /** Where metadata lives, for people (never credentials). */
  storeDescription: string;
}

/**
 * Where `ufs serve` (and the local admin commands) keep things: `--data-dir`, else config `serve.dataDir`, else
 * `$XDG_DATA_HOME/ufs` (`~/.local/share/ufs`) holding `metadata.sqlite` and `content/`. `--mongodb` and
 * `--content` replace either part.
 */
export async function serverPlaces(
  flags: { 'data-dir'?: string; mongodb?: string; content?: string },
  config: CliConfig,
): Promise<ServerPlaces> {
  const dir = flags['data-dir']
    ? expandPath(flags['data-dir'])
    : config.serve.dataDir
      ? expandPath(config.serve.dataDir)
      : dataDir();
  await mkdir(dir, { recursive: true });
  const sqlitePath = join(dir, 'metadata.sqlite');
  const store: StoreOptions = flags.mongodb ? { mongoUri: flags.mongodb } : { sqlitePath };
  const content = flags.content ?? join(dir, 'content');
  if (!flags.content) await mkdir(content, { recursive: true });
  return {
    dataDir: dir,
    store,
    content,
    storeDescription: flags.mongodb ? `mongodb ${redactUrl(flags.mongodb)}` : `sqlite ${sqlitePath}`,
  };
}
