import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { configInvalid } from '../errors.js';
import { loadYaml } from '../lazy.js';

/**
 * Reads a mount list from a `.json`, `.yaml` or `.yml` file: either an array of mounts or `{ mounts: [...] }`.
 */
export async function loadConfigFile(path: string): Promise<unknown[]> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw configInvalid(undefined, `config file "${path}" must end in .json, .yaml or .yml`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw configInvalid(undefined, `cannot read config file "${path}": ${(err as Error).message}`, err);
  }
  let data: unknown;
  try {
    data = ext === '.json' ? JSON.parse(text) : (await loadYaml()).parse(text);
  } catch (err) {
    throw configInvalid(
      undefined,
      `config file "${path}" is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      err,
    );
  }
  const mounts = Array.isArray(data) ? data : (data as { mounts?: unknown } | null)?.mounts;
  if (!Array.isArray(mounts)) {
    throw configInvalid(undefined, `config file "${path}" must hold an array of mounts or { mounts: [...] }`);
  }
  return mounts;
}
