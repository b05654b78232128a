import { describeContext, UfsError, type ErrorContext } from '@org/core';

/**
 * The ports fetch refuses to connect to ("bad ports" of the Fetch standard, §2.9 port blocking; undici fails them
 * with `TypeError: fetch failed`, cause `bad port`): the URLs of fetch-based backends (http, dropbox) cannot use them.
 */
export const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
  6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** The port of an http(s) URL when fetch refuses it, else undefined. */
export function fetchRefusedPort(url: string | URL): number | undefined {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return undefined;
  }
  const port = parsed.port ? Number(parsed.port) : undefined;
  return port !== undefined && FETCH_BAD_PORTS.has(port) ? port : undefined;
}

/** What an option whose URL has such a port is told: `<option> uses port N, which fetch refuses (…)`. */
export function badPortMessage(option: string, port: number): string {
  return `${option} uses port ${port}, which fetch refuses to connect to (a blocked "bad port" of the Fetch standard): use another port`;
}

/** True when `err` is fetch's refusal of a bad port (`TypeError: fetch failed`, cause `Error: bad port`). */
export function isBadPortError(err: unknown): boolean {
  // By name: under test runners' VM contexts undici's TypeError is not this realm's.
  const e = err as { name?: unknown; cause?: { message?: unknown } } | null;
  return e?.name === 'TypeError' && e.cause?.message === 'bad port';
}

/**
 * CONFIG_INVALID for a request fetch refused because of the URL's port, naming the port and, when known, the option
 * that set it; undefined for any other error.
 */
export function badPortError(
  err: unknown,
  url: string | URL,
  context: ErrorContext,
  option?: string,
): UfsError | undefined {
  if (!isBadPortError(err)) return undefined;
  const port = fetchRefusedPort(url);
  const what = option ?? 'the URL';
  const detail =
    port !== undefined
      ? badPortMessage(what, port)
      : 'fetch refuses to connect to that port (a blocked "bad port" of the Fetch standard): use another port';
  return new UfsError('CONFIG_INVALID', `${describeContext(context)} ${detail}`, { context, cause: err });
}
