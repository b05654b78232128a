import { z } from 'zod';

/** Body of POST /admin/gc (optional: no body is `{}`). */
export const gcSchema = z.strictObject({
  grace_seconds: z.number().int().min(0).optional(),
  dry_run: z.boolean().optional(),
  /** Remove orphans even when they look like the content of another store (see content/gc-guard.ts). */
  force: z.boolean().optional(),
});

/** Body of POST /admin/verify (optional: no body is `{}`, every held content). */
export const verifySchema = z.strictObject({
  repair: z.boolean().optional(),
  sha256: z
    .array(z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters'))
    .max(10_000)
    .optional(),
});

/** The JSON Schema of a request body, for the OpenAPI document (generated from the schema the server validates with). */
export function bodySchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest;
}

const hashes = { type: 'array', items: { type: 'string' }, description: 'at most 1000 hashes' };
const count = { type: 'integer', minimum: 0 };

/** 200 answer of POST /admin/gc (GcReport). */
export const gcReportSchema = {
  type: 'object',
  required: ['scanned', 'deleted', 'deletedCount', 'orphans', 'orphansCount', 'truncated', 'dryRun'],
  properties: {
    scanned: count,
    deleted: hashes,
    deletedCount: count,
    orphans: hashes,
    orphansCount: count,
    truncated: { type: 'boolean' },
    tempObjects: count,
    expiredUploads: count,
    counters: count,
    dryRun: { type: 'boolean' },
  },
};

/** 200 answer of POST /admin/verify (VerifyReport). */
export const verifyReportSchema = {
  type: 'object',
  required: ['checked', 'ok', 'missing', 'missingCount', 'corrupt', 'corruptCount', 'truncated'],
  properties: {
    checked: count,
    ok: count,
    missing: hashes,
    missingCount: count,
    corrupt: hashes,
    corruptCount: count,
    repaired: hashes,
    repairedCount: count,
    unreadable: hashes,
    unreadableCount: count,
    notFound: hashes,
    notFoundCount: count,
    truncated: { type: 'boolean' },
  },
};
