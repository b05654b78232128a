import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { UfsError, describeContext, toUfsError, type ErrorContext } from '@org/core';
import { z } from 'zod';
import { providerOptionProblems } from '../provider-options.js';
import { parseYamlConfig } from './yaml-config.js';

export { parseYamlConfig };

/**
 * The longest a timeout may be, in ms: 2^31 - 1, about 24.8 days. Node's timers (and so `AbortSignal.timeout` and
 * undici's timeouts) cannot wait longer: a larger delay fires almost at once (TimeoutOverflowWarning), so a huge
 * "wait forever" value would time every request out.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * The numeric settings, whole numbers within these bounds: one table for the config file (`uploadConfigSchema`) and
 * the options of a call (`checkNumberOption`), so both accept the same values and refuse others with the same words.
 * `why` explains an upper bound that is not obvious (said when a value is over it).
 */
export const NUMBER_SETTINGS: Readonly<Record<NumberSetting, { min: number; max: number; why?: string }>> =
  Object.freeze({
    timeoutMs: { min: 1, max: MAX_TIMEOUT_MS, why: 'the longest timer Node.js can set, about 24.8 days' },
    idleTimeoutMs: { min: 0, max: MAX_TIMEOUT_MS, why: 'the longest timer Node.js can set, about 24.8 days' },
    maxAttempts: { min: 1, max: 20 },
    concurrency: { min: 1, max: 64 },
  });

export type NumberSetting = 'timeoutMs' | 'idleTimeoutMs' | 'maxAttempts' | 'concurrency';

/**
 * What is wrong with `value` as the setting `name` (`must be a whole number from 1 to 20, got 25`), if anything.
 * The one test of a value, for options and config alike.
 */
export function numberProblem(name: NumberSetting, value: unknown): string | undefined {
  const { min, max, why } = NUMBER_SETTINGS[name];
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return undefined;
  const got = typeof value === 'string' ? JSON.stringify(value) : String(value);
  const reason = why && typeof value === 'number' && value > max ? ` (${why})` : '';
  return `must be a whole number from ${min} to ${max}${reason}, got ${got}`;
}

/**
 * Checks a numeric option of a call by the rules of the config file (`NUMBER_SETTINGS`): INVALID_INPUT naming it
 * (the caller's mistake, as for an unknown provider id in the options; the same value in the config file is
 * CONFIG_INVALID), e.g. `[ufs] option maxAttempts must be a whole number from 1 to 20, got 25` (instead of a
 * library's raw TypeError, or a value quietly rounded). With `context` (a provider called directly) the message and
 * the error's context name the provider and operation too.
 */
export function checkNumberOption(name: NumberSetting, value: unknown, context?: ErrorContext): void {
  if (value === undefined) return;
  const problem = numberProblem(name, value);
  if (problem === undefined) return;
  const where = context ? describeContext(context) : '[ufs]';
  throw new UfsError('INVALID_INPUT', `${where} option ${name} ${problem}`, {
    context: { ...(context ?? { operation: 'configure' }), option: name },
    retryable: false,
  });
}

/**
 * The schema of a numeric setting: a number that `numberProblem` accepts, one refusal worded by it (not zod's own
 * checks, whose limits and words could differ, e.g. `.int()` refusing unsafe integers as "Too big").
 */
function numberSetting(name: NumberSetting) {
  const error = (issue: { input?: unknown }) => numberProblem(name, issue.input);
  return z
    .number({ error })
    .refine((value) => numberProblem(name, value) === undefined, { error })
    .optional();
}

/**
 * The upload config file (JSON or YAML). Unknown keys are refused so a typo is an error, not a silent default.
 *
 * ```yaml
 * providers: [catbox, 0x0, s3]   # or "catbox,0x0,s3"
 * expire: 24h
 * verify: true
 * fragile: false
 * timeoutMs: 600000
 * idleTimeoutMs: 60000
 * maxAttempts: 3
 * concurrency: 3
 * providerOptions:
 *   s3: { prefix: shared/, unique: true }
 * ```
 */
export const uploadConfigSchema = z.strictObject({
  providers: z
    .union([z.array(z.string().min(1)), z.string()], {
      error: 'must be a list of provider ids or a comma-separated string',
    })
    .optional(),
  expire: z.string().min(1).optional(),
  verify: z.boolean().optional(),
  fragile: z.boolean().optional(),
  timeoutMs: numberSetting('timeoutMs'),
  idleTimeoutMs: numberSetting('idleTimeoutMs'),
  maxAttempts: numberSetting('maxAttempts'),
  concurrency: numberSetting('concurrency'),
  // Each provider's declared options (provider-options.ts): an unknown key or a wrong type is refused by name,
  // `providerOptions.s3.prefx: unknown option (s3 takes: …)`. Unknown provider ids are refused when settings are
  // resolved, listing the known ones.
  providerOptions: z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .superRefine((all, ctx) => {
      for (const [id, options] of Object.entries(all)) {
        for (const { key, problem } of providerOptionProblems(id, options)) {
          ctx.addIssue({ code: 'custom', message: problem, path: [id, key] });
        }
      }
    })
    .optional(),
});

export type UploadConfig = z.infer<typeof uploadConfigSchema>;

/** Validates a config object; CONFIG_INVALID names each wrong key. */
export function parseUploadConfig(value: unknown, where = 'config'): UploadConfig {
  const parsed = uploadConfigSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new UfsError('CONFIG_INVALID', `[ufs] ${where}: ${problems.join('; ')}`, {
      context: { operation: 'configure', path: where },
    });
  }
  return parsed.data;
}

/**
 * The top-level sections of a full ufs config file (the `ufs` command's, see @org/cli) that are not about uploads:
 * a config file written for the CLI may hold them, and the library ignores them (the CLI validates them).
 */
export const OTHER_CONFIG_SECTIONS = ['mounts', 'server', 'scan', 'serve'] as const;

/**
 * A config file as the library reads it: the upload settings at the top level (the library's own format), under
 * `upload:` (the CLI's format), or both (`upload:` wins); the CLI's other sections are ignored. Unknown keys are
 * refused, at the top level and inside `upload:`.
 */
const configFileSchema = z.strictObject({
  ...uploadConfigSchema.shape,
  upload: uploadConfigSchema.optional(),
  ...Object.fromEntries(OTHER_CONFIG_SECTIONS.map((key) => [key, z.unknown().optional()])),
});

/**
 * The upload settings of a config file's content (the library's format or a full ufs config); CONFIG_INVALID names
 * each wrong key and where it is.
 */
export function uploadSection(value: unknown, where = 'config'): UploadConfig {
  const parsed = configFileSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new UfsError('CONFIG_INVALID', `[ufs] ${where}: ${problems.join('; ')}`, {
      context: { operation: 'configure', path: where },
    });
  }
  const { upload, ...rest } = parsed.data as UploadConfig & { upload?: UploadConfig } & Record<string, unknown>;
  const top = Object.fromEntries(
    Object.entries(rest).filter(([key]) => !(OTHER_CONFIG_SECTIONS as readonly string[]).includes(key)),
  );
  return parseUploadConfig({ ...top, ...upload }, where);
}

/**
 * Reads a config file: `.json` as JSON, `.yaml`/`.yml` (and anything else) as YAML, which also reads JSON. The file
 * may be the library's upload config or a full ufs config (see `uploadSection`).
 */
export async function loadConfigFile(path: string): Promise<UploadConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const error = toUfsError(err, { operation: 'read config', path });
    throw new UfsError('CONFIG_INVALID', error.message, { context: error.context, cause: err });
  }
  let value: unknown;
  try {
    if (extname(path).toLowerCase() === '.json') {
      value = JSON.parse(text);
    } else {
      value = parseYamlConfig(text);
    }
  } catch (err) {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] config "${path}": not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      {
        context: { operation: 'read config', path },
        cause: err,
      },
    );
  }
  return uploadSection(value, `config "${path}"`);
}

/** `"a, b"` or `["a","b"]` → `['a','b']` (trimmed, empties dropped, duplicates removed). */
export function providerList(value: readonly string[] | string): string[] {
  const items = typeof value === 'string' ? value.split(',') : value;
  return [...new Set(items.map((item) => item.trim()).filter(Boolean))];
}
