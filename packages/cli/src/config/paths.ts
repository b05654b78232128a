import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

function xdg(env: Env, variable: string, fallback: string[]): string {
  const value = env[variable]?.trim();
  // The XDG spec ignores relative values.
  if (value && isAbsolute(value)) return join(value, 'ufs');
  return join(env.HOME?.trim() || homedir(), ...fallback, 'ufs');
}

/** `$XDG_CONFIG_HOME/ufs`, else `~/.config/ufs`. */
export function configDir(env: Env = process.env): string {
  return xdg(env, 'XDG_CONFIG_HOME', ['.config']);
}

/** `$XDG_DATA_HOME/ufs`, else `~/.local/share/ufs` (the server's store and content for `ufs serve`). */
export function dataDir(env: Env = process.env): string {
  return xdg(env, 'XDG_DATA_HOME', ['.local', 'share']);
}

/** `$XDG_CACHE_HOME/ufs`, else `~/.cache/ufs` (the scan hash cache). */
export function cacheDir(env: Env = process.env): string {
  return xdg(env, 'XDG_CACHE_HOME', ['.cache']);
}

/** `~/x` → the home folder; relative paths resolve against `base`. */
export function expandPath(path: string, base = process.cwd(), env: Env = process.env): string {
  if (path === '~' || path.startsWith('~/')) return join(env.HOME?.trim() || homedir(), path.slice(1));
  return resolve(base, path);
}
