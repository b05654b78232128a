import { configInvalid } from '../errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

const PATTERN = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const VARIABLE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** Human form of a key path: `layers[0].ms`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function interpolateString(value: string, env: Env, mount: string | undefined, path: readonly PropertyKey[]): string {
  return value.replace(PATTERN, (match, expression: string | undefined) => {
    if (match === '$${') return '${';
    const where = `"${formatKeyPath(path)}"`;
    if (expression === undefined)
      throw configInvalid(mount, `${where}: unterminated "\${" (write "$\${" for a literal "\${")`);
    const parsed = VARIABLE.exec(expression.trim());
    if (!parsed) throw configInvalid(mount, `${where}: invalid variable reference "\${${expression}}"`);
    const name = parsed[1]!;
    const fallback = parsed[2];
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    // As `${NAME:?}` in a shell: an empty value is as unusable here as a missing one, and said apart from it.
    const state = found === '' ? 'is set but empty' : 'is not set';
    throw configInvalid(mount, `${where}: environment variable "${name}" ${state} (give a default: \${${name}:-…})`);
  });
}

/**
 * Replaces `${NAME}` (and `${NAME:-default}`) in every string of a mount config, at any depth, from `env`.
 * `$${` is a literal `${`. An unset or empty variable without default is CONFIG_INVALID naming the mount and the key.
 * Functions and other non-plain values are left as they are.
 */
export function interpolateEnv<T>(value: T, env: Env, mount?: string, path: readonly PropertyKey[] = []): T {
  if (typeof value === 'string') return interpolateString(value, env, mount, path) as T;
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, mount, [...path, i])) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateEnv(item, env, mount, [...path, key]);
    return out as T;
  }
  return value;
}
