import { isRetryableCode, type ErrorCode } from './codes.js';

/** Where an error happened: which backend or provider, which operation, which path. */
export interface ErrorContext {
  /** Backend protocol or mount name, e.g. `s3` or `photos`. */
  backend?: string;
  /** Upload provider id, e.g. `catbox`. */
  provider?: string;
  /** Operation, e.g. `read`, `write`, `upload`. */
  operation?: string;
  /** The key, path or URL the operation was about. */
  path?: string;
  /** HTTP status that caused this error, when there was one. */
  status?: number;
  /** Anything else worth showing (never secrets). */
  [key: string]: unknown;
}

export interface UfsErrorOptions {
  retryable?: boolean;
  context?: ErrorContext;
  cause?: unknown;
  /** Server-suggested wait before retrying (from `Retry-After`), in milliseconds. */
  retryAfterMs?: number;
}

/**
 * The one error class of ufs. `code` is stable; `retryable` says whether the same call may succeed later;
 * `context` says where; `cause` keeps the original error.
 */
export class UfsError extends Error {
  override readonly name = 'UfsError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly context: ErrorContext;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: UfsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? isRetryableCode(code);
    this.context = options.context ?? {};
    this.retryAfterMs = options.retryAfterMs;
  }

  /** `[ufs] [s3] write "photos/a.jpg": bucket "x" does not exist` style text for people. */
  override toString(): string {
    return `${this.name} ${this.code}: ${this.message}`;
  }

  /** A JSON form safe to show to users: no stack, no cause internals. */
  toJSON(): { code: ErrorCode; message: string; retryable: boolean; context: ErrorContext } {
    return { code: this.code, message: this.message, retryable: this.retryable, context: this.context };
  }

  /** A copy of this error with more context (existing keys win, so the innermost context is kept). */
  withContext(context: ErrorContext): UfsError {
    return new UfsError(this.code, this.message, {
      retryable: this.retryable,
      context: { ...context, ...this.context },
      cause: this.cause,
      retryAfterMs: this.retryAfterMs,
    });
  }
}

export function isUfsError(value: unknown, code?: ErrorCode): value is UfsError {
  return value instanceof UfsError && (code === undefined || value.code === code);
}

/** Builds the conventional message prefix: `[ufs] [s3] write "a/b":`. */
export function describeContext(context: ErrorContext): string {
  const parts = ['[ufs]'];
  const who = context.provider ?? context.backend;
  if (who) parts.push(`[${who}]`);
  if (context.operation) parts.push(context.path ? `${context.operation} "${context.path}":` : `${context.operation}:`);
  else if (context.path) parts.push(`"${context.path}":`);
  return parts.join(' ');
}
