import { classifyNodeError, type ErrorCode, type UfsError } from '@org/core';
import { z } from 'zod';

/** One readiness check: the metadata store (`database`) or the content mount (`storage`). */
export const readinessCheckSchema = z.object({
  status: z.enum(['ok', 'failed']),
  type: z.string().describe('`sqlite` or `mongo`; the content mount by its protocol only (`local`, `s3`)'),
  probe: z
    .enum(['write', 'list'])
    .describe(
      '`write`: a real write (the store always; the content mount with the content probe on); `list`: a listing',
    ),
  code: z
    .string()
    .optional()
    .describe('When failed: the error code (`UNAVAILABLE`, `PERMISSION_DENIED`, `TIMEOUT`, …)'),
  reason: z
    .string()
    .optional()
    .describe('When failed: a short reason (`write failed: operation not permitted (EPERM)`), never a path or host'),
});
export type ReadinessCheck = z.infer<typeof readinessCheckSchema>;

/** Answer of `GET /health/ready` (200 when `status` is `ready`, else 503). */
export const readinessReportSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: readinessCheckSchema,
  storage: readinessCheckSchema,
  checked_at: z.string().describe('When the checks ran (ISO-8601): results are reused for `readinessCacheMs`'),
});
export type ReadinessReport = z.infer<typeof readinessReportSchema>;

const PHRASES: Partial<Record<ErrorCode, string>> = {
  UNAVAILABLE: 'unavailable',
  PERMISSION_DENIED: 'permission denied',
  NOT_FOUND: 'not found',
  TIMEOUT: 'timed out',
  RATE_LIMITED: 'throttled',
};

const SQLITE_PHRASES: Record<string, string> = {
  SQLITE_FULL: 'database or disk is full',
  SQLITE_READONLY: 'read-only database',
  SQLITE_BUSY: 'database is locked',
  SQLITE_CANTOPEN: 'cannot open a database file',
};

/** What an errno or SQLite result code means, in a few words (undefined when it is not a known one). */
function systemPhrase(code: string): string | undefined {
  if (code.startsWith('SQLITE_')) {
    return SQLITE_PHRASES[code] ?? (code.startsWith('SQLITE_IOERR') ? 'I/O error' : undefined);
  }
  return classifyNodeError({ code })?.what;
}

/** An errno (`EPERM`, `ENOSPC`) or SQLite result code (`SQLITE_FULL`) in the error or its causes: a name, never a path. */
function systemCode(error: UfsError): string | undefined {
  const errno = error.context.errno;
  if (typeof errno === 'string' && /^E[A-Z0-9]+$/.test(errno)) return errno;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z0-9]+|SQLITE_[A-Z_]+)$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * What anyone may be told of a failed check: the action, a phrase for the error code or errno, and the errno itself
 * (`write failed: no space left on device (ENOSPC)`). Messages (paths, hosts, buckets) are for the log only.
 */
export function failedCheck(error: UfsError, action: string): Pick<ReadinessCheck, 'code' | 'reason'> {
  const system = systemCode(error);
  const what = (system && systemPhrase(system)) ?? PHRASES[error.code] ?? 'unexpected error';
  const suffix = system ? ` (${system})` : '';
  return { code: error.code, reason: `${action} failed: ${what}${suffix}` };
}
