import { dirname, extname, join } from 'node:path';
// The light entry point: validating the upload section must not load every provider (and @org/storage) at start-up.
import { parseUploadConfig, parseYamlConfig } from '@org/providers/config';
import { z } from 'zod';
import { invalidConfig as invalid, type CliConfig } from './cli-config.js';

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

const mountSchema = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

/**
 * The ufs config file (`~/.config/ufs/config.yaml`, `--config`, or `UFS_CONFIG`). Unknown keys are refused.
 * Upload settings may sit under `upload:` or at the top level (the format `@org/providers` reads).
 */
const cliConfigSchema = z.strictObject({
  mounts: z.union([z.array(z.record(z.string(), z.unknown())), z.record(z.string(), mountSchema)]).optional(),
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
  const parsed = cliConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw invalid(where, problems.join('; '));
  }
  const data = parsed.data as z.infer<typeof cliConfigSchema> & Record<string, unknown>;
  const topUpload = Object.fromEntries(UPLOAD_KEYS.filter((k) => data[k] !== undefined).map((k) => [k, data[k]]));
  const upload = parseUploadConfig({ ...topUpload, ...data.upload }, `config "${where}"`);
  const mounts = Array.isArray(data.mounts)
    ? data.mounts
    : Object.entries(data.mounts ?? {}).map(([name, value]) =>
        typeof value === 'string' ? { name, url: value } : { ...value, name },
      );
  const base = path ? dirname(path) : process.cwd();
  return {
    path,
    mounts: mounts.map((mount) => withLocalRoot(mount, base)),
    upload,
    server: data.server ?? {},
    scan: data.scan ?? {},
    serve: data.serve ?? {},
  };
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
