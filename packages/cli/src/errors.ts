import { Errors } from '@oclif/core';
import { EXIT_CODE_BY_CODE, UfsError, isUfsError, toUfsError } from '@org/core';

/** oclif's own errors (bad flags, missing args, unknown commands) are usage errors. */
function fromOclif(err: unknown): UfsError | undefined {
  if (!(err instanceof Errors.CLIError) && !(err instanceof Error && 'oclif' in err)) return undefined;
  const message = (err as Error).message.replace(/^Error:\s*/, '').trim();
  const unknown = /^command (.+) not found$/.exec(message);
  if (unknown) {
    return new UfsError('INVALID_INPUT', `[ufs] unknown command "${unknown[1]}" (see ufs --help)`, { cause: err });
  }
  const keepNote = multipleFlagTyped(err);
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^See more help with/.test(line))
    .filter((line) => keepNote || !/^(Note: .* multiple values|Alternatively, you can use "--")/.test(line));
  return new UfsError('INVALID_INPUT', `[ufs] ${lines.join(' ').replace(/\s+/g, ' ')} (see --help)`, { cause: err });
}

interface ParseFacts {
  parse?: {
    input?: { flags?: Record<string, { type?: string; multiple?: boolean }> };
    output?: { raw?: Array<{ type: string; flag?: string }> };
  };
}

/**
 * Whether a flag that takes several values was typed. oclif's "Missing required arg" notes every such flag the
 * command has ("--provider allows multiple values ..."), typed or not; the note explains a missing argument only
 * when one was (`ufs upload -p catbox a.txt` takes a.txt as a provider).
 */
function multipleFlagTyped(err: unknown): boolean {
  const { input, output } = (err as ParseFacts).parse ?? {};
  if (!input?.flags || !output?.raw) return true;
  const flags = input.flags;
  return output.raw.some((token) => token.type === 'flag' && Boolean(token.flag && flags[token.flag]?.multiple));
}

/** Anything thrown, as a UfsError: ours pass through, oclif's are usage errors, the rest are classified. */
export function asUfsError(err: unknown): UfsError {
  if (isUfsError(err)) return err;
  return fromOclif(err) ?? toUfsError(err);
}

/** The process exit status for an error (the one mapping, `EXIT_CODE_BY_CODE` in @org/core). */
export function exitCodeFor(err: UfsError): number {
  return EXIT_CODE_BY_CODE[err.code];
}

/**
 * The exit status for several failures: the status of their code when they share one, else 1 ("something
 * failed"), and 0 for none.
 */
export function exitCodeForFailures(errors: readonly UfsError[]): number {
  if (errors.length === 0) return 0;
  const codes = new Set(errors.map((error) => error.code));
  return codes.size === 1 ? EXIT_CODE_BY_CODE[errors[0]!.code] : 1;
}

/** A message on one line: multi-line messages (e.g. every provider's reason) are joined with "; ". */
export function oneLine(message: string): string {
  const [first = '', ...rest] = message
    .split('\n')
    .map((line) => line.trim().replace(/^- /, ''))
    .filter(Boolean);
  if (rest.length === 0) return first;
  return `${first}${first.endsWith(':') ? ' ' : '; '}${rest.join('; ')}`;
}

/** Everything known about an error, for `--verbose` / `DEBUG`: message, code, context, the cause chain, stacks. */
export function details(err: UfsError): string {
  const lines = [`${err.message}`, `code: ${err.code}${err.retryable ? ' (retryable)' : ''}`];
  const context = Object.fromEntries(Object.entries(err.context).filter(([key]) => key !== 'failures'));
  if (Object.keys(context).length > 0) lines.push(`context: ${safeJson(context)}`);
  let cause: unknown = err.cause;
  for (let depth = 0; cause !== undefined && depth < 6; depth++) {
    const text = cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : String(cause);
    lines.push(`caused by: ${text}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (err.stack) lines.push(err.stack.split('\n').slice(1).join('\n'));
  return lines.join('\n');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** The `--json` form of an error. */
export function errorJson(err: UfsError): { error: ReturnType<UfsError['toJSON']> & { exitCode: number } } {
  return { error: { ...err.toJSON(), exitCode: exitCodeFor(err) } };
}
