import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The variables as the schema reads them: an empty value is unset, so its default applies (`FOO=` in a compose file
 * or an `env:` entry with `value: ""` is how people leave a variable out), the rule of every variable alike. Values
 * are otherwise taken as written: ` 5` is not a number, `0x10` is not a port.
 */
export function withoutEmptyValues(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
}

export interface WholeNumberOptions {
  /** Unit in messages (`seconds`); empty for a plain count. */
  unit: string;
  /** What the value is, in messages (default `a whole number of UNIT`): `a port number`. */
  what?: string;
  min: number;
  /** Default Number.MAX_SAFE_INTEGER. */
  max?: number;
  /** An example value for the message on a malformed one. */
  example: string;
  /** Message for a value below `min` (default `must be MIN or more UNIT`). */
  minMessage?: string;
  /** Message for a value above `max` (default `must be at most MAX UNIT`). */
  maxMessage?: string;
}

/**
 * A whole number written in decimal digits only: `1e3`, `0x10`, `2.5`, ` 5` and `5 ` are refused (Number() would
 * take them all) with a message giving the form, so a typo never becomes another value.
 */
export function wholeNumber(options: WholeNumberOptions) {
  const { unit, min, max = Number.MAX_SAFE_INTEGER, example } = options;
  const what = options.what ?? `a whole number${unit ? ` of ${unit}` : ''}`;
  const units = unit ? ` ${unit}` : '';
  return z.string().transform((value, ctx): number => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (!/^-?[0-9]+$/.test(value))
      return fail(`must be ${what} in decimal digits, like ${example} (got ${JSON.stringify(value)})`);
    const number = Number(value);
    if (value.startsWith('-') || number < min) return fail(options.minMessage ?? `must be ${min} or more${units}`);
    if (number > max) return fail(options.maxMessage ?? `must be at most ${max}${units}`);
    return number;
  });
}

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}\\.?$)${HOST_LABEL}(?:\\.${HOST_LABEL})*\\.?$`);

/**
 * A listen address: an IP address (IPv6 with or without brackets) or a host name (RFC 1123 labels; dotted digits
 * that are not an IPv4 address, like `999.1.1.1`, are refused). Whether a name resolves is checked when listening.
 */
export const listenHost = z.string().transform((value, ctx): string => {
  const bare = /^\[.*\]$/.test(value) ? value.slice(1, -1) : value;
  if (isIP(bare) !== 0) return bare;
  if (bare === value && !/^[0-9.]+$/.test(value) && HOST_NAME.test(value)) return value;
  ctx.addIssue({
    code: 'custom',
    message: `must be an IP address or a host name, like 0.0.0.0, :: or localhost (got ${JSON.stringify(value)})`,
  });
  return z.NEVER;
});

/**
 * A storage URL (`file:///srv/ufs`, `s3://bucket/prefix?…`): a scheme, `://`, and a URL that parses. The value is never
 * shown (it may carry credentials). Whether the protocol is known is checked by the content mount (see start-checks).
 */
export const storageUrl = z
  .string()
  .refine(
    (value) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value) && URL.canParse(value),
    'must be a storage URL, like file:///srv/ufs or s3://bucket/prefix',
  );
