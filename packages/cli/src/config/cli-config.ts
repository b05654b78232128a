import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UfsError, toUfsError } from '@org/core';
import type { UploadConfig } from '@org/providers/config';
import { loadConfigParser } from '../lazy.js';
import type { ScanSection, ServeSection } from './cli-config-file.js';
import { configDir } from './paths.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface CliConfig {
  /** Where it was read from; undefined when no file exists (defaults). */
  path: string | undefined;
  /** Mount definitions as `@org/storage` takes them (`name` filled in for the map form). */
  mounts: Record<string, unknown>[];
  upload: UploadConfig;
  server: { url?: string; apiKey?: string };
  scan: ScanSection;
  serve: ServeSection;
}

/** The configuration when there is no config file (what `parseCliConfig({}, undefined)` gives). */
export function defaultCliConfig(): CliConfig {
  return { path: undefined, mounts: [], upload: {}, server: {}, scan: {}, serve: {} };
}

/** The file to read: `--config`, else `UFS_CONFIG`, else `config.yaml` (or `.yml`/`.json`) in the config dir. */
export function configPath(flag: string | undefined, env: Env = process.env): { path: string; explicit: boolean } {
  if (flag) return { path: flag, explicit: true };
  const fromEnv = env.UFS_CONFIG?.trim();
  if (fromEnv) return { path: fromEnv, explicit: true };
  const dir = configDir(env);
  const found = ['config.yaml', 'config.yml', 'config.json'].map((name) => join(dir, name)).find((p) => existsSync(p));
  return { path: found ?? join(dir, 'config.yaml'), explicit: false };
}

export function invalidConfig(path: string, message: string, cause?: unknown): UfsError {
  return new UfsError('CONFIG_INVALID', `[ufs] config "${path}": ${message}`, {
    context: { operation: 'read config', path },
    cause,
  });
}

/**
 * Reads the config file; a missing default file means defaults, a missing explicit file is an error. The parser
 * (yaml, zod) is loaded only when there is a file to read.
 */
export async function loadCliConfig(flag: string | undefined, env: Env = process.env): Promise<CliConfig> {
  const { path, explicit } = configPath(flag, env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const error = toUfsError(err, { operation: 'read config', path });
    if (!explicit && error.code === 'NOT_FOUND') return defaultCliConfig();
    throw invalidConfig(path, error.message.replace(/^\[ufs\] read config "[^"]*": /, ''), err);
  }
  const { parseCliConfigText } = await loadConfigParser();
  return parseCliConfigText(text, path);
}
