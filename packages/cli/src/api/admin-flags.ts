import { timeoutFlagWithDefault } from '../timeout-flag.js';

/** The wait for a key command's answer (they are small and quick). */
export const KEY_TIMEOUT_SECONDS = 30;
/** The wait for gc's or verify's answer, which comes when the run is over: long on a big store. */
export const RUN_TIMEOUT_SECONDS = 3600;

/** `--timeout` of the key commands (create, list, revoke). */
export function keyTimeoutFlag() {
  return timeoutFlagWithDefault(
    "Seconds to wait for the server's answer to each request (at most 2147483, about 24.8 days).",
    1,
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
