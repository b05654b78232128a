import { z } from 'zod';

// What the admin commands need from each answer of the server (see packages/server: api-keys.controller.ts,
// admin.controller.ts, GcReport, VerifyReport). Loose: fields this CLI does not read pass through to --json as the
// server sent them. Fields older servers leave out are optional. Loaded (zod: ~90 ms) by AdminApi while its first
// request is on its way.

const count = z.number().int().nonnegative();
const hashes = z.array(z.string());

const keyView = z.looseObject({
  _id: z.string(),
  name: z.string(),
  description: z.string().nullable().optional(),
  created_at: z.string(),
  last_used_at: z.string().nullable().optional(),
  is_active: z.boolean(),
  scopes: z.array(z.string()),
});

/** `message` saying that the key was `done` (PutPlace: "API key revoked successfully"). */
function confirmation(done: 'revoked' | 'deleted') {
  return z.looseObject({
    message: z
      .string()
      .refine((text) => new RegExp(`\\b${done}\\b`, 'i').test(text), `does not say that the key was ${done}`),
  });
}

export const ANSWERS = {
  /** GET /api_keys */
  keyList: z.array(keyView),
  /** POST /api_keys: the key itself, shown once, and its record. */
  keyCreated: z.looseObject({
    api_key: z.string().min(1),
    _id: z.string(),
    name: z.string(),
    scopes: z.array(z.string()),
  }),
  /** PUT /api_keys/{id}/revoke */
  keyRevoked: confirmation('revoked'),
  /** DELETE /api_keys/{id} */
  keyDeleted: confirmation('deleted'),
  /** POST /admin/gc */
  gcReport: z.looseObject({
    scanned: count,
    deleted: hashes,
    deletedCount: count.optional(),
    orphans: hashes,
    orphansCount: count.optional(),
    truncated: z.boolean().optional(),
    tempObjects: count,
    expiredUploads: count,
    dryRun: z.boolean(),
  }),
  /** POST /admin/verify */
  verifyReport: z.looseObject({
    checked: count,
    ok: count,
    missing: hashes,
    missingCount: count.optional(),
    corrupt: hashes,
    corruptCount: count.optional(),
    repaired: hashes,
    repairedCount: count.optional(),
    unreadable: hashes.nullish(),
    unreadableCount: count.optional(),
    notFound: hashes.nullish(),
    notFoundCount: count.optional(),
    truncated: z.boolean().optional(),
  }),
};

export type AnswerName = keyof typeof ANSWERS;
export type Answer<N extends AnswerName> = z.output<(typeof ANSWERS)[N]>;

/** A field's place in the answer, as people read it: `[0].scopes`, `"message"`, or the answer itself. */
function placeOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the answer';
  const text = path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
  return `"${text.replace(/^\./, '')}"`;
}

/**
 * What is wrong with an answer, in a few words: `"scopes" is missing`, `"checked": expected number, received
 * string`, `"message" does not say that the key was revoked` (the first `most` problems, and how many more).
 */
export function describeIssues(error: z.ZodError, most = 3): string {
  const lines = error.issues.slice(0, most).map((issue) => {
    const place = placeOf(issue.path);
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `${place} is missing`;
    return `${place}${issue.code === 'custom' ? ' ' : ': '}${issue.message.replace(/^Invalid input: /, '')}`;
  });
  const more = error.issues.length - lines.length;
  return `${lines.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

/**
 * `value` checked against the answer `name`: the answer as the server sent it (its fields in its order; the schemas
 * change nothing), or what is wrong with it.
 */
export function checkAnswer<N extends AnswerName>(
  name: N,
  value: unknown,
): { ok: true; answer: Answer<N> } | { ok: false; problem: string } {
  const result = ANSWERS[name].safeParse(value);
  if (result.success) return { ok: true, answer: value as Answer<N> };
  return { ok: false, problem: describeIssues(result.error) };
}
