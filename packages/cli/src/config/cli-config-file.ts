import { dirname, extname, join } from 'node:path';
// The light entry point: validating the upload section must not load every provider (and @org/storage) at start-up.
import { parseUploadConfig, parseYamlConfig, uploadConfigSchema } from '@org/providers/config';
import { z } from 'zod';
import { invalidConfig as invalid, type CliConfig } from './cli-config.js';
import { describeIssues } from './config-issues.js';

// Loaded (through lazy.ts) only when a config file exists: zod and yaml cost ~100 ms at start-up.

const UPLOAD_KEYS = [
  'providers',
  'expire',
  'verify',
  'fragile',
  'timeoutMs',
  'idleTimeoutMs',
  'maxAttempts',
  'concurrency',
  'providerOptions',
] as const;

const MOUNT_EXAMPLE = 'data: { protocol: local, root: ./data } or backup: s3://bucket/prefix';

/** A mount of the map form: a URL, or its options. */
const mountSchema = z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
  error: `expected a mount: a URL or a map of options (e.g. ${MOUNT_EXAMPLE})`,
});
/** A mount of the list form: its options with its name. */
const listedMountSchema = z.record(z.string(), z.unknown(), {
  error: 'expected a mount: a map of options with its name (e.g. { name: data, protocol: local, root: ./data })',
});
const mountList = z.array(listedMountSchema);
const mountMap = z.record(z.string(), mountSchema);

/**
 * `mounts`: a list of mounts or a map of name → mount. The form is chosen by the value's shape, so that a problem is
 * told precisely (a union of both says only "Invalid input", for `mounts: 5` as for one bad mount).
 */
const mountsSchema = z.unknown().transform((value, ctx): z.infer<typeof mountList> | z.infer<typeof mountMap> => {
  const schema = Array.isArray(value) ? mountList : typeof value === 'object' && value !== null ? mountMap : undefined;
  if (!schema) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a list of mounts or a map of name → mount (e.g. ${MOUNT_EXAMPLE}), got ${describeValue(value)}`,
    });
    return z.NEVER;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  return typeof value === 'string' ? `the text ${JSON.stringify(value)}` : `${typeof value} ${String(value)}`;
}

/**
 * The ufs config file (`~/.config/ufs/config.yaml`, `--config`, or `UFS_CONFIG`). Unknown keys are refused.
 * Upload settings may sit under `upload:` or at the top level (the format `@org/providers` reads).
 */
const cliConfigSchema = z.strictObject({
  mounts: mountsSchema.optional(),
  upload: z.record(z.string(), z.unknown()).optional(),
  server: z.strictObject({ url: z.string().url().optional(), apiKey: z.string().min(1).optional() }).optional(),
  scan: z
    .strictObject({
      exclude: z.array(z.string()).optional(),
      concurrency: z.number().int().min(1).max(64).optional(),
      batchSize: z.number().int().min(1).max(10_000).optional(),
      cache: z.string().optional(),
      hostname: z.string().min(1).optional(),
    })
    .optional(),
  serve: z
    .strictObject({
      host: z.string().optional(),
      port: z.number().int().min(0).max(65_535).optional(),
      dataDir: z.string().optional(),
    })
    .optional(),
  ...Object.fromEntries(UPLOAD_KEYS.map((key) => [key, z.unknown().optional()])),
});

/** What the `scan` and `serve` sections hold once validated. */
export type ScanSection = z.infer<typeof cliConfigSchema>['scan'] & object;
export type ServeSection = z.infer<typeof cliConfigSchema>['serve'] & object;

/** Validates a parsed config object (exported for tests and for callers that build config in code). */
export function parseCliConfig(raw: unknown, path: string | undefined): CliConfig {
  const where = path ?? '(defaults)';
  const parsed = cliConfigSchema.safeParse(raw ?? {}, { reportInput: true });
  // The upload settings are checked where they are written (at the top level, under `upload:`), so that each problem
  // names its full path (`upload.verify`), before they are merged; every problem of the file is told at once.
  const file = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const topUpload = Object.fromEntries(UPLOAD_KEYS.filter((k) => file[k] !== undefined).map((k) => [k, file[k]]));
  const upload = file.upload;
  const problems = [
    ...(parsed.success ? [] : describeIssues(parsed.error, cliConfigSchema)),
    ...uploadProblems(topUpload, []),
    ...(typeof upload === 'object' && upload !== null && !Array.isArray(upload)
      ? uploadProblems(upload, ['upload'])
      : []),
  ];
  if (!parsed.success || problems.length > 0) throw invalid(where, problems.join('; '));
  const data = parsed.data as z.infer<typeof cliConfigSchema> & Record<string, unknown>;
  const settings = parseUploadConfig({ ...topUpload, ...data.upload }, `config "${where}"`);
  const mounts = Array.isArray(data.mounts)
    ? data.mounts
    : Object.entries(data.mounts ?? {}).map(([name, value]) =>
        typeof value === 'string' ? { name, url: value } : { ...value, name },
      );
  const base = path ? dirname(path) : process.cwd();
  return {
    path,
    mounts: mounts.map((mount) => withLocalRoot(mount, base)),
    upload: settings,
    server: data.server ?? {},
    scan: data.scan ?? {},
    serve: data.serve ?? {},
  };
}

/** What is wrong with the upload settings `value`, found at `prefix` of the file. */
function uploadProblems(value: unknown, prefix: string[]): string[] {
  const parsed = uploadConfigSchema.safeParse(value, { reportInput: true });
  return parsed.success ? [] : describeIssues(parsed.error, uploadConfigSchema, prefix);
}

/** Local roots written as `~/x` or relative to the config file are made absolute. */
function withLocalRoot(mount: Record<string, unknown>, base: string): Record<string, unknown> {
  const root = mount.root;
  if (typeof root !== 'string' || root.includes('${') || !(mount.protocol === 'local' || mount.protocol === 'file'))
    return mount;
  if (root === '~' || root.startsWith('~/')) return { ...mount, root: join(process.env.HOME ?? '', root.slice(1)) };
  return root.startsWith('/') ? mount : { ...mount, root: join(base, root) };
}

/** Parses the text of a config file (`.json` as JSON, anything else as YAML) and validates it. */
export function parseCliConfigText(text: string, path: string): CliConfig {
  let raw: unknown;
  try {
    if (extname(path).toLowerCase() === '.json') raw = JSON.parse(text);
    else {
      raw = parseYamlConfig(text);
    }
  } catch (err) {
    throw invalid(path, `not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`, err);
  }
  return parseCliConfig(raw, path);
}
