import { UfsError } from '@org/core';
import { isKnownProvider, knownProviders, providerList, type UploadEvent } from '@org/providers';
import { escapeName, escapeNames, hasControl, namesOf } from '../errors.js';

/**
 * A name as messages show it: in quotes and escaped (errors.ts `escapeName`: `new\nline`, and DEL and C1 too, which
 * `JSON.stringify` leaves raw) when it holds control characters, else as it is.
 */
export function shownName(name: string): string {
  return hasControl(name) ? escapeName(name) : name;
}

/**
 * The providers of `--provider`: ids, comma-separated or repeated. None (`-p ''`, `-p ,`) or an unknown one is a usage
 * error naming the flag (64; the library would blame "options", and call an empty list a broken config, 78).
 */
export function providerFlag(values: readonly string[]): string[] {
  const ids = providerList(values);
  const known = `known providers: ${knownProviders().join(', ')}`;
  if (ids.length === 0) {
    const got = values.length > 0 ? values.map((value) => escapeName(value)).join(', ') : 'nothing';
    throw new UfsError('INVALID_INPUT', `[ufs] --provider names no provider (got ${got}); ${known} (see --help)`, {
      context: { operation: 'configure' },
    });
  }
  const unknown = ids.filter((id) => !isKnownProvider(id));
  if (unknown.length > 0) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] unknown provider${unknown.length > 1 ? 's' : ''} ${unknown.map((id) => escapeName(id)).join(', ')} in --provider; ${known}`,
      { context: { operation: 'configure', unknown } },
    );
  }
  return ids;
}

/**
 * Providers whose delete removes the record of an upload, not its bytes: a ufs server keeps the content until its
 * `ufs server gc` finds no record using it (and forever while another record does), so its URL may still serve it.
 * (The provider info has no capability saying this; one such as `capabilities.deleteKeepsContent` would be cleaner.)
 */
const DELETE_REMOVES_RECORD_ONLY = new Set(['ufs']);

/** What became of a copy left by a failed verification, in words true to what the provider's delete does. */
function copyFate(provider: string, deleted: boolean): string {
  if (!deleted) return 'is still there';
  if (DELETE_REMOVES_RECORD_ONLY.has(provider)) {
    return 'had its record deleted; the content stays on the server until `ufs server gc` finds it unused';
  }
  return 'was deleted';
}

interface Held {
  line: string;
  /** The provider left a copy of the file (uploaded, then verification failed, and not deleted). */
  copyLeft: boolean;
}

/**
 * The stderr lines of what happens while files upload (the events of @org/providers). Retries are shown as they
 * happen (they explain a wait). A provider that failed is shown as it happens only with --verbose (with every step);
 * otherwise its line waits for the file's end: when the file was then uploaded by a later provider, the lines say
 * which providers failed and why; when the file failed, its one error line already lists every provider's reason,
 * so only a line about a copy left on a service (which that error does not tell) is printed. So a failed file is one
 * line on stderr, not one per provider and then all of them again.
 */
export class FileNotes {
  private readonly held = new Map<number, Held[]>();

  constructor(
    private readonly files: readonly string[],
    private readonly print: (line: string) => void,
    private readonly verbose: boolean,
    private readonly forUser: (error: UfsError) => UfsError,
  ) {}

  event(index: number, event: UploadEvent): void {
    const who = `${this.files.length > 1 ? `${shownName(this.files[index]!)}: ` : ''}${event.provider}`;
    switch (event.type) {
      case 'skip':
        if (this.verbose) this.print(`${who}: skipped: ${event.reason}`);
        break;
      case 'attempt':
        if (this.verbose) this.print(`${who}: attempt ${event.attempt}`);
        break;
      case 'retry':
        this.print(
          `${who}: retrying ${event.phase === 'verify' ? 'the verification ' : ''}in ${Math.round(event.delayMs)} ms: ${this.reason(event.error)}`,
        );
        break;
      case 'failure': {
        const copy = event.copy
          ? ` (the uploaded copy ${event.copy.url} ${copyFate(event.provider, event.copy.deleted)})`
          : '';
        const line = `${who}: failed: ${this.reason(event.error)}${copy}`;
        if (this.verbose) this.print(line);
        else this.hold(index, { line, copyLeft: Boolean(event.copy && !event.copy.deleted) });
        break;
      }
      case 'verify':
        if (this.verbose) this.print(`${who}: verifying ${event.url}`);
        break;
      case 'success':
        if (this.verbose) this.print(`${who}: ok ${event.url}`);
        break;
    }
  }

  /** File `index` was uploaded: the providers that failed before are told. */
  succeeded(index: number): void {
    for (const held of this.take(index)) this.print(held.line);
  }

  /** File `index` failed (its error line follows): only copies left behind are told. */
  failed(index: number): void {
    for (const held of this.take(index)) if (held.copyLeft) this.print(held.line);
  }

  private hold(index: number, held: Held): void {
    const list = this.held.get(index) ?? [];
    list.push(held);
    this.held.set(index, list);
  }

  private take(index: number): Held[] {
    const list = this.held.get(index) ?? [];
    this.held.delete(index);
    return list;
  }

  /** The first line of an error's message, names with control characters escaped (not cut at their newline). */
  private reason(error: UfsError): string {
    const shown = this.forUser(error);
    return escapeNames(shown.message, [...namesOf(shown), ...this.files]).split('\n')[0]!;
  }
}
