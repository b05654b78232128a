import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { UfsError, toUfsError } from '@org/core';
import { isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';

/**
 * The upload config file (JSON or YAML). Unknown keys are refused so a typo is an error, not a silent default.
 *
 * ```yaml
 * providers: [catbox, 0x0, s3]   # or "catbox,0x0,s3"
 * expire: 24h
 * verify: true
 * fragile: false
 * timeoutMs: 600000
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
  timeoutMs: z.number().int().positive().optional(),
  maxAttempts: z.number().int().min(1).max(20).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  providerOptions: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
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
 * YAML reads `0x0` as the number 0 (hex). Provider ids are names, so the `providers` entries keep the text as
 * written.
 */
function yamlConfig(doc: Document): unknown {
  const value = doc.toJS() as Record<string, unknown> | null;
  const node = doc.get('providers', true);
  if (value && typeof value === 'object' && node !== undefined) {
    if (isSeq(node))
      value.providers = node.items.map((item) => (isScalar(item) ? (item.source ?? String(item.value)) : item));
    else if (isScalar(node)) value.providers = node.source ?? node.value;
  }
  return value;
}

/** Reads a config file: `.json` as JSON, `.yaml`/`.yml` (and anything else) as YAML, which also reads JSON. */
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
      const doc = parseDocument(text);
      if (doc.errors.length > 0) throw doc.errors[0]!;
      value = yamlConfig(doc);
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
  return parseUploadConfig(value, `config "${path}"`);
}

/** `"a, b"` or `["a","b"]` → `['a','b']` (trimmed, empties dropped, duplicates removed). */
export function providerList(value: readonly string[] | string): string[] {
  const items = typeof value === 'string' ? value.split(',') : value;
  return [...new Set(items.map((item) => item.trim()).filter(Boolean))];
}
