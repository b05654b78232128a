import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { UfsError, toUfsError } from '@org/core';
// The light entry point: validating the upload section must not load every provider (and @org/storage) at start-up.
import { parseUploadConfig, type UploadConfig } from '@org/providers/config';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { configDir } from './paths.js';

type Env = Readonly<Record<string, string | undefined>>;

const UPLOAD_KEYS = [
  'providers',
  'expire',
  'verify',
  'fragile',
  'timeoutMs',
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

export interface CliConfig {
  /** Where it was read from; undefined when no file exists (defaults). */
  path: string | undefined;
  /** Mount definitions as `@org/storage` takes them (`name` filled in for the map form). */
  mounts: Record<string, unknown>[];
  upload: UploadConfig;
  server: { url?: string; apiKey?: string };
  scan: z.infer<typeof cliConfigSchema>['scan'] & object;
  serve: z.infer<typeof cliConfigSchema>['serve'] & object;
}

/** The file to read: `--config`, else `UFS_CONFIG`, else `config.yaml` (or `.yml`/`.json`) in the config dir. */
export function configPath(flag: string | undefined, env: Env = process.env): { path: string; explicit: boolean } {
  if (flag) return { path: flag, explicit: true };
  const fromEnv = env.UFS_CONFIG?.trim();
  if (fromEnv) return { path: fromEnv, explicit: true };
  const dir = configDir(env);
  const found = ['config.yaml', 'config.yml', 'config.json'].map((name) => join(dir, name)).find((p) => existsSync(p));
  return { path: found ?? join(dir, 'config.yaml'), explicit: false };
}

/** YAML reads `0x0` as a number; provider ids keep the text as written. */
function keepProviderIds(doc: Document): unknown {
  const value = doc.toJS() as Record<string, unknown> | null;
  if (!value || typeof value !== 'object') return value;
  const fix = (holder: Record<string, unknown>, node: unknown) => {
    if (isSeq(node)) holder.providers = node.items.map((i) => (isScalar(i) ? (i.source ?? String(i.value)) : i));
    else if (isScalar(node)) holder.providers = node.source ?? node.value;
  };
  fix(value, doc.get('providers', true));
  const upload = doc.get('upload', true);
  if (isMap(upload) && value.upload && typeof value.upload === 'object') {
    fix(value.upload as Record<string, unknown>, upload.get('providers', true));
  }
  return value;
}

function invalid(path: string, message: string, cause?: unknown): UfsError {
  return new UfsError('CONFIG_INVALID', `[ufs] config "${path}": ${message}`, {
    context: { operation: 'read config', path },
    cause,
  });
}

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

/** Reads the config file; a missing default file means defaults, a missing explicit file is an error. */
export async function loadCliConfig(flag: string | undefined, env: Env = process.env): Promise<CliConfig> {
  const { path, explicit } = configPath(flag, env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const error = toUfsError(err, { operation: 'read config', path });
    if (!explicit && error.code === 'NOT_FOUND') return parseCliConfig({}, undefined);
    throw invalid(path, error.message.replace(/^\[ufs\] read config "[^"]*": /, ''), err);
  }
  let raw: unknown;
  try {
    if (extname(path).toLowerCase() === '.json') raw = JSON.parse(text);
    else {
      const doc = parseDocument(text);
      if (doc.errors.length > 0) throw doc.errors[0]!;
      raw = keepProviderIds(doc);
    }
  } catch (err) {
    throw invalid(path, `not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`, err);
  }
  return parseCliConfig(raw, path);
}
