import { UfsError } from '@org/core';

/**
 * The options each provider declares (`providerOptions.<id>`), checked-in next to the provider registry
 * (`registry.ts`; a test holds both to the same ids) so that a config file or a call's options can be checked without
 * loading any provider module: an unknown key (a typo such as `prefx`) or a value of the wrong type is refused,
 * listing the provider's known options, instead of being silently ignored.
 */

/** One option: what it accepts, in words (for the message), and the test. */
export interface OptionSpec {
  accepts: string;
  check(value: unknown): boolean;
}

const isString = (value: unknown) => typeof value === 'string';
const string: OptionSpec = { accepts: 'a string', check: isString };
const boolean: OptionSpec = { accepts: 'true or false', check: (value) => typeof value === 'boolean' };
/** A whole number, or its decimal text (as a config file may give it). */
const integer: OptionSpec = {
  accepts: 'a whole number',
  check: (value) =>
    (typeof value === 'number' && Number.isSafeInteger(value)) ||
    (typeof value === 'string' && /^\s*\d+\s*$/.test(value)),
};
const oneOf = (...values: string[]): OptionSpec => ({
  accepts: values.map((value) => JSON.stringify(value)).join(' or '),
  check: (value) => typeof value === 'string' && values.includes(value),
});
const object: OptionSpec = {
  accepts: 'an object',
  check: (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
};

/** `baseUrl`: every provider that talks to a service over HTTP takes its base URL (or endpoint) as an option. */
const baseUrl = { baseUrl: string };

export const PROVIDER_OPTIONS: Readonly<Record<string, Readonly<Record<string, OptionSpec>>>> = Object.freeze({
  catbox: { ...baseUrl, userhash: string },
  litterbox: { ...baseUrl },
  '0x0': { ...baseUrl, secret: boolean },
  x0at: { ...baseUrl },
  uguu: { ...baseUrl },
  tmpfiles: { ...baseUrl },
  tmpfilelink: { ...baseUrl },
  sendit: { ...baseUrl },
  tempsh: { ...baseUrl },
  pixeldrain: { ...baseUrl, apiKey: string },
  filebin: { ...baseUrl, bin: string },
  fal: { ...baseUrl, apiKey: string },
  s3: {
    ...baseUrl,
    bucket: string,
    region: string,
    prefix: string,
    unique: boolean,
    url: oneOf('presigned', 'public'),
    publicUrl: string,
    acl: string,
    partSize: integer,
    queueSize: integer,
    pathStyle: boolean,
    accessKeyId: string,
    secretAccessKey: string,
    sessionToken: string,
    ifNotExists: boolean,
  },
  dropbox: {
    ...baseUrl,
    uploadPath: string,
    unique: boolean,
    force: boolean,
    sessionThreshold: integer,
    chunkSize: integer,
    accessToken: string,
    refreshToken: string,
    appKey: string,
    appSecret: string,
  },
  mount: {
    mounts: {
      accepts: 'a list of mount configs, { mounts: [...] }, or the path of a mounts file',
      check: (value) => Array.isArray(value) || object.check(value) || isString(value),
    },
    storage: { accepts: 'a StorageManager', check: object.check },
    target: string,
    unique: {
      accepts: 'true, false, "suffix" or "prefix"',
      check: (value) => typeof value === 'boolean' || value === 'suffix' || value === 'prefix',
    },
    urlMode: oneOf('presigned', 'public'),
    expiresIn: {
      accepts: 'seconds (a number) or a duration such as "24h"',
      check: (value) => (typeof value === 'number' && value > 0) || isString(value),
    },
    ifNotExists: boolean,
  },
  ufs: { ...baseUrl, apiKey: string, hostname: string, filepath: string },
});

/** The known options of a provider, in declaration order. */
export function knownProviderOptions(id: string): string[] {
  return Object.keys(PROVIDER_OPTIONS[id] ?? {});
}

/**
 * What is wrong with the options of provider `id`, one line per key: `prefx: unknown option (s3 takes: bucket, …)`,
 * `secret: must be true or false, got "yes"`. Empty when all is well, and for an unknown provider id (refused
 * elsewhere, listing the known ids).
 */
export function providerOptionProblems(id: string, options: unknown): Array<{ key: string; problem: string }> {
  const specs = PROVIDER_OPTIONS[id];
  if (!specs) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return [{ key: '', problem: `must be an object of options (${id} takes: ${knownProviderOptions(id).join(', ')})` }];
  }
  const problems: Array<{ key: string; problem: string }> = [];
  for (const [key, value] of Object.entries(options)) {
    const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
    if (!spec) {
      problems.push({ key, problem: `unknown option (${id} takes: ${knownProviderOptions(id).join(', ')})` });
    } else if (value !== undefined && !spec.check(value)) {
      const got =
        typeof value === 'object' && value !== null
          ? Array.isArray(value)
            ? 'a list'
            : 'an object'
          : JSON.stringify(value);
      problems.push({ key, problem: `must be ${spec.accepts}, got ${got}` });
    }
  }
  return problems;
}

/**
 * Refuses the provider options of a call (`options.providerOptions`): INVALID_INPUT naming each wrong
 * `providerOptions.<id>.<key>` and the known options. (Those of a config file are checked by its schema, as
 * CONFIG_INVALID.)
 */
export function checkProviderOptions(all: Readonly<Record<string, unknown>> | undefined): void {
  const lines: string[] = [];
  for (const [id, options] of Object.entries(all ?? {})) {
    for (const { key, problem } of providerOptionProblems(id, options)) {
      lines.push(`providerOptions.${id}${key ? `.${key}` : ''}: ${problem}`);
    }
  }
  if (lines.length === 0) return;
  throw new UfsError('INVALID_INPUT', `[ufs] option ${lines.join('; ')}`, {
    context: { operation: 'configure', option: 'providerOptions' },
    retryable: false,
  });
}
