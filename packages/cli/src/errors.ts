import { basename } from 'node:path';
import { Errors } from '@oclif/core';
import { UfsError, exitCodeOf, isUfsError, toUfsError } from '@org/core';
import { interruptedBy, signalStatus } from './interrupt.js';

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

/**
 * The process exit status for an error (the one mapping, `exitCodeOf` in @org/core: `EXIT_CODE_BY_CODE`, and 76 for
 * a hosting service's refusal); an ABORTED that a stop signal caused has that signal's status (SIGTERM 143, SIGHUP
 * 129), as the process exits with it.
 */
export function exitCodeFor(err: UfsError): number {
  const signal = err.code === 'ABORTED' ? interruptedBy() : undefined;
  return signal ? signalStatus(signal) : exitCodeOf(err);
}

/**
 * The exit status for several failures: their status when they share their code and status, else 1 ("something
 * failed"), and 0 for none.
 */
export function exitCodeForFailures(errors: readonly UfsError[]): number {
  if (errors.length === 0) return 0;
  const codes = new Set(errors.map((error) => error.code));
  const statuses = new Set(errors.map((error) => exitCodeOf(error)));
  return codes.size === 1 && statuses.size === 1 ? exitCodeOf(errors[0]!) : 1;
}

/**
 * A control character (a newline, a tab, an escape…), as in a file name that holds one: C0, DEL and C1 (U+0080–U+009F,
 * which some terminals run as escapes too: U+009B is CSI).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Whether a text holds a control character (see `escapeName`). */
export function hasControl(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * `text` with each control character escaped as `JSON.stringify` writes it (`\n`, `\u001b`), DEL and C1 too (which
 * `JSON.stringify` leaves raw): the one escaping of names for the terminal. Quotes and backslashes are left alone.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (char) => {
    const json = JSON.stringify(char).slice(1, -1);
    return json === char ? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}` : json;
  });
}

/**
 * A name as the messages show it when it holds control characters: in quotes, escaped as `JSON.stringify` writes it
 * (C1 and DEL escaped too, see `escapeControls`).
 */
export function escapeName(name: string): string {
  return escapeControls(JSON.stringify(name));
}

/**
 * The names (paths) an error is about, from its context and those of its causes and per-provider failures: the
 * ones a message quotes (core's `describeContext` writes `upload "<path>":`).
 */
export function namesOf(error: unknown): string[] {
  const names = new Set<string>();
  const visit = (err: unknown, depth: number) => {
    if (!err || typeof err !== 'object' || depth > 6) return;
    const context = (err as { context?: Record<string, unknown> }).context;
    for (const key of ['path', 'dest', 'source']) {
      const value = context?.[key];
      if (typeof value === 'string') names.add(value);
    }
    const failures = context?.failures;
    if (Array.isArray(failures)) for (const failure of failures) visit(failure, depth + 1);
    visit((err as { cause?: unknown }).cause, depth + 1);
  };
  visit(error, 0);
  return [...names];
}

/**
 * `message` with each quoted name that holds control characters (`upload "new<LF>line.txt"`) shown escaped, as
 * `JSON.stringify` writes it (`upload "new\nline.txt"`): a newline in a name is no line break of the message, and a
 * terminal escape in a name is not run. Names without control characters are left as they are.
 */
export function escapeNames(message: string, names: readonly string[]): string {
  let text = message;
  // A file's base name too: the providers' messages name the file as the services see it (`upload "b.txt"`).
  const all = new Set(names.flatMap((name) => [name, basename(name)]));
  // Longest first: a name that contains another is replaced whole.
  for (const name of [...all].sort((a, b) => b.length - a.length)) {
    if (!CONTROL.test(name)) continue;
    text = text.split(`"${name}"`).join(escapeName(name));
  }
  return text;
}

/**
 * A message on one line: multi-line messages (e.g. every provider's reason) are joined with "; ". `names`: the file
 * names the message may quote, escaped first (see `escapeNames`) so that their newlines are not taken for the
 * message's.
 */
export function oneLine(message: string, names: readonly string[] = []): string {
  const [first = '', ...rest] = escapeNames(message, names)
    .split('\n')
    .map((line) => line.trim().replace(/^- /, ''))
    .filter(Boolean);
  if (rest.length === 0) return first;
  return `${first}${first.endsWith(':') ? ' ' : '; '}${rest.join('; ')}`;
}

/**
 * Everything known about an error, for `--verbose` / `DEBUG`: message, code, context, the cause chain, then each
 * provider failure of a failed upload (`context.failures`: the providers' own errors, with their code, context and
 * cause chain, indented), then the stack.
 */
export function details(err: UfsError): string {
  // The names the error is about, wherever they stand (quoted or not, in a cause's message or stack), escaped; then
  // any control character left but the line breaks: the details never run a terminal escape.
  let text = describe(err, 0);
  const names = new Set(namesOf(err).flatMap((name) => [name, basename(name)]));
  for (const name of [...names].sort((a, b) => b.length - a.length)) {
    if (hasControl(name)) text = text.split(name).join(escapeControls(name));
  }
  return text
    .split('\n')
    .map((line) => escapeControls(line))
    .join('\n');
}

function describe(err: UfsError, depth: number): string {
  const lines = [`${err.message}`, `code: ${err.code}${err.retryable ? ' (retryable)' : ''}`];
  const context = Object.fromEntries(Object.entries(err.context).filter(([key]) => key !== 'failures'));
  if (Object.keys(context).length > 0) lines.push(`context: ${safeJson(context)}`);
  let cause: unknown = err.cause;
  for (let step = 0; cause !== undefined && step < 6; step++) {
    const text = cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : String(cause);
    lines.push(`caused by: ${text}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  const failures = err.context.failures;
  if (Array.isArray(failures) && depth < 3) {
    for (const failure of failures as Array<{ provider?: unknown; error?: unknown }>) {
      const error = failure?.error;
      if (!(error instanceof Error)) continue;
      const text = isUfsError(error) ? describe(error, depth + 1) : (error.stack ?? `${error.name}: ${error.message}`);
      const who = typeof failure.provider === 'string' ? `provider ${failure.provider}` : 'provider';
      lines.push(`${who} failed:`, text.replace(/^/gm, '  '));
    }
  }
  const frames = stackFrames(err);
  if (frames) lines.push(frames);
  return lines.join('\n');
}

/** The frames of an error's stack (`    at …`), without its first line(s): the message, which may span several. */
function stackFrames(err: Error): string | undefined {
  const lines = err.stack?.split('\n') ?? [];
  const first = lines.findIndex((line) => /^\s+at /.test(line));
  return first < 0 ? undefined : lines.slice(first).join('\n');
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
