import { escapeName, hasControl } from '../errors.js';
import { timeoutFlagWithDefault } from '../timeout-flag.js';

/** The wait for a key command's answer (they are small and quick). */
export const KEY_TIMEOUT_SECONDS = 30;
/** The wait for gc's or verify's answer, which comes when the run is over: long on a big store. */
export const RUN_TIMEOUT_SECONDS = 3600;

/** `--timeout` of the key commands (create, list, revoke): 0 waits as long as the server takes, as for gc/verify. */
export function keyTimeoutFlag() {
  return timeoutFlagWithDefault(
    "Seconds to wait for the server's answer to each request (0: no limit; at most 2147483, about 24.8 days).",
    0,
    KEY_TIMEOUT_SECONDS,
  );
}

/** `--timeout` of gc and verify: 0 waits as long as the run takes. */
export function runTimeoutFlag() {
  return timeoutFlagWithDefault(
    "Seconds to wait for the server's answer, which comes when the run is over: allow for the size of the store (0: no limit; at most 2147483, about 24.8 days).",
    0,
    RUN_TIMEOUT_SECONDS,
  );
}

/**
 * A key name for a row of `ufs server key list`: control characters (C0, DEL and C1, in names stored before the
 * server refused them) escaped by errors.ts `escapeName`, as messages show names (`\n`, `\t`, `\u0000`, `\u009b`),
 * without its quotes (a quote in the name is shown as it is): a newline in a name is no line break of the table, an
 * escape is not run. Names without control characters are left as they are; --json has the names themselves.
 */
export function printableKeyName(name: string): string {
  if (!hasControl(name)) return name;
  return escapeName(name).slice(1, -1).replace(/\\"/g, '"');
}
