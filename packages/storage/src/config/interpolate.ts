import { configInvalid } from '../errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

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

/**
 * Index of the `}` closing the reference whose body starts at `from`, or -1. References nest (`${A:-${B}}`): each
 * `${` inside opens one more level, and `$${` (a literal `${`) none.
 */
function closingBrace(value: string, from: number): number {
  let depth = 0;
  for (let i = from; i < value.length; i++) {
    if (value.startsWith('$${', i)) i += 2;
    else if (value.startsWith('${', i)) {
      depth++;
      i++;
    } else if (value[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function interpolateString(value: string, env: Env, mount: string | undefined, path: readonly PropertyKey[]): string {
  const where = `"${formatKeyPath(path)}"`;
  let out = '';
  let done = 0;
  for (let at = value.indexOf('$'); at >= 0; at = value.indexOf('$', done)) {
    if (value.startsWith('$${', at)) {
      out += `${value.slice(done, at)}\${`;
      done = at + 3;
      continue;
    }
    if (!value.startsWith('${', at)) {
      out += value.slice(done, at + 1);
      done = at + 1;
      continue;
    }
    const close = closingBrace(value, at + 2);
    if (close < 0) throw configInvalid(mount, `${where}: unterminated "\${" (write "$\${" for a literal "\${")`);
    out += value.slice(done, at) + resolveReference(value.slice(at + 2, close), env, mount, path);
    done = close + 1;
  }
  return out + value.slice(done);
}

/** The value of the reference `NAME` or `NAME:-default` (a default may hold references, resolved only when used). */
function resolveReference(
  expression: string,
  env: Env,
  mount: string | undefined,
  path: readonly PropertyKey[],
): string {
  const where = `"${formatKeyPath(path)}"`;
  const parsed = VARIABLE.exec(expression.trim());
  if (!parsed) throw configInvalid(mount, `${where}: invalid variable reference "\${${expression}}"`);
  const name = parsed[1]!;
  const fallback = parsed[2];
  const found = env[name];
  if (found !== undefined && found !== '') return found;
  if (fallback !== undefined) return interpolateString(fallback, env, mount, path);
  // As `${NAME:?}` in a shell: an empty value is as unusable here as a missing one, and said apart from it.
  const state = found === '' ? 'is set but empty' : 'is not set';
  throw configInvalid(mount, `${where}: environment variable "${name}" ${state} (give a default: \${${name}:-…})`);
}

/**
 * Replaces `${NAME}` (and `${NAME:-default}`) in every string of a mount config, at any depth, from `env`.
 * `$${` is a literal `${`; a default may hold references (`${A:-${B:-x}}`), looked up only when the default is used.
 * An unset or empty variable without default is CONFIG_INVALID naming the mount and the key.
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
