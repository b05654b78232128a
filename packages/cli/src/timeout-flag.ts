import { Errors, Flags } from '@oclif/core';
import { MAX_TIMEOUT_MS } from '@org/providers';

/**
 * The largest --timeout and --idle-timeout, in seconds: the library's bound on timeoutMs and idleTimeoutMs (the
 * longest timer Node.js can set, 2^31 - 1 ms, about 24.8 days), in whole seconds.
 */
const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMEOUT_MS / 1000);

/** What every timeout flag shares: whole seconds from `min` to `MAX_TIMEOUT_SECONDS`; out of range says why the bound. */
function secondsFlag(description: string, min: number) {
  return {
    description,
    min,
    max: MAX_TIMEOUT_SECONDS,
    parse: async (input: string) => {
      const value = /^-?\d+$/.test(input) ? Number(input) : Number.NaN;
      if (!(value >= min && value <= MAX_TIMEOUT_SECONDS)) {
        throw new Errors.CLIError(
          `Expected whole seconds from ${min} to ${MAX_TIMEOUT_SECONDS} (about 24.8 days, the longest timer Node.js can set) but received: ${input}`,
        );
      }
      return value;
    },
  };
}

/** A timeout flag in whole seconds, from `min` to `MAX_TIMEOUT_SECONDS` (unset unless given). */
export function timeoutFlag(description: string, min: number) {
  return Flags.integer(secondsFlag(description, min));
}

/** `timeoutFlag` with a default. */
export function timeoutFlagWithDefault(description: string, min: number, seconds: number) {
  return Flags.integer({ ...secondsFlag(description, min), default: seconds });
}
