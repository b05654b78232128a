import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import type { UfsError } from '@org/core';
import { loadCliConfig, type CliConfig } from './config/cli-config.js';
import { asUfsError, details, errorJson, exitCodeFor, namesOf, oneLine } from './errors.js';
import type { JsonArrayOut } from './output/json-stream.js';
import { guardStdout, stdoutEndStatus, watchStdout, writeStdout } from './output/stdout.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * The base of every ufs command: the common flags (`--json`, `--verbose`, `--config`), the config file, stderr
 * helpers, and the one `catch` that turns any failure into a one-line message on stderr and an exit status from
 * `EXIT_CODE_BY_CODE` (details with `--verbose` or `DEBUG`).
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    verbose: Flags.boolean({
      char: 'V',
      description: 'Show details: every step, and the cause and stack of errors (also: env DEBUG).',
      helpGroup: 'GLOBAL',
    }),
    config: Flags.string({
      description: 'Config file (YAML or JSON). Default: env UFS_CONFIG, else ~/.config/ufs/config.yaml.',
      helpGroup: 'GLOBAL',
      // `--config=` (an empty value, as from an unset shell variable) is refused, not read as "no file given".
      parse: async (input: string) => {
        if (input.trim() === '')
          throw new Errors.CLIError('Expected --config to name a file but received an empty value');
        return input;
      },
    }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  /** The positional arguments in the order they were typed, repeats included (see `typedOrder`). */
  protected argList: string[] = [];
  /** The flags typed on the command line (a value from a flag's env variable or default is not typed). */
  protected typedFlags: ReadonlySet<string> = new Set();
  private configPromise: Promise<CliConfig> | undefined;
  /** A `--json` array the command streams (ls, cat): a failure once it has begun closes it instead. */
  protected jsonOut: JsonArrayOut | undefined;

  override async init(): Promise<void> {
    // oclif's Command module, loaded by now, rethrows stdout errors other than EPIPE: ours records them instead.
    watchStdout();
    await super.init();
    const { args, flags, argv, raw } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: withoutStdin(this.ctor.args),
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
    this.argList = typedOrder(argv as string[], raw);
    this.typedFlags = new Set(raw.flatMap((token) => (token.type === 'flag' ? [token.flag] : [])));
  }

  /** The config file, read once. */
  protected cliConfig(): Promise<CliConfig> {
    this.configPromise ??= loadCliConfig(this.flags.config);
    return this.configPromise;
  }

  protected get verbose(): boolean {
    if (debugOn()) return true;
    // Once parsed, the flags say; before (a command line oclif refused), the words typed before any `--` (after it,
    // `-V` is an argument: `ufs cat -- -V` prints the file "-V").
    if (this.flags) return Boolean(this.flags.verbose);
    const end = this.argv.indexOf('--');
    const words = end === -1 ? this.argv : this.argv.slice(0, end);
    return words.includes('--verbose') || words.includes('-V');
  }

  /** A line on stderr (never on stdout: stdout carries results only). Printed in JSON mode too. */
  protected note(message: string): void {
    process.stderr.write(`${message}\n`);
  }

  /** A line on stderr only with `--verbose` / `DEBUG`. */
  protected debugNote(message: string): void {
    if (this.verbose) process.stderr.write(`${message}\n`);
  }

  /** A result line on stdout (suppressed in JSON mode, where the returned value is printed instead). */
  protected out(line: string): void {
    if (!this.jsonEnabled()) writeStdout(`${line}\n`);
  }

  /** oclif's JSON printer, its write errors recorded (`--json > /dev/full`), not thrown (see output/stdout.ts). */
  protected override logJson(json: unknown): void {
    guardStdout(() => super.logJson(json));
  }

  /** An error as shown to the user (storage commands name local files by their paths). */
  protected forUser(error: UfsError): UfsError {
    return error;
  }

  /** Prints an error the way `catch` does, without ending the command (for per-item failures). */
  protected reportError(failure: UfsError): void {
    const error = this.forUser(failure);
    process.stderr.write(`${this.verbose ? details(error) : this.oneLine(error)}\n`);
  }

  /** An error's message on one line, the names it quotes escaped when they hold control characters (`new\nline`). */
  protected oneLine(error: UfsError): string {
    return oneLine(error.message, [...namesOf(error), ...this.argList]);
  }

  /** Sets the exit status without throwing (the result is still printed). */
  protected setExitStatus(code: number): void {
    if (code !== 0) process.exitCode = code;
  }

  override async catch(err: Error & { exitCode?: number }): Promise<never> {
    // `this.exit()` throws an ExitError: let it through untouched.
    if ((err as { oclif?: { exit?: number } }).oclif?.exit !== undefined && err.message.startsWith('EEXIT')) throw err;
    // stdout failed: its reader went away (`ufs cat big | head`: 141 quietly, as `cat`), or a write error (one line
    // naming it, and its status), see output/stdout.ts.
    const stdoutStatus = stdoutEndStatus();
    if (stdoutStatus !== undefined) return this.exit(stdoutStatus);
    const error = this.forUser(asUfsError(err));
    // A streamed array already begun stays valid JSON; the error is on stderr and in the exit status.
    if (this.jsonOut?.started) await this.jsonOut.end();
    else if (this.jsonEnabled()) this.logJson(errorJson(error));
    process.stderr.write(`${this.verbose ? details(error) : this.oneLine(error)}\n`);
    return this.exit(exitCodeFor(error));
  }
}

/**
 * The positional arguments in the order they were typed. oclif sorts its `argv` by each value's first position on
 * the command line, which groups repeated values (`cat a b a` comes back `a a b`) and misplaces a value that is also
 * a flag's value (`-p x y x`); its parse tokens keep the typed order, and tell a flag's value from an argument. They
 * are used when they hold the same values as `argv`; they do not when no argument was typed and oclif filled one in
 * (an argument's default, or piped stdin read as the argument) or an argument's `parse` changed the value, and then
 * oclif's order is used. An unknown flag never gets here, even with `strict = false` (which only allows more
 * arguments than declared): oclif refuses it as "Nonexistent flag" (exit 64) whatever `strict` says. Words after
 * `--` are argument tokens, in their place (`cat a -- --nope b a`).
 */
export function typedOrder(argv: readonly string[], raw: Interfaces.ParserOutput['raw']): string[] {
  const typed = raw.flatMap((token) => (token.type === 'arg' ? [token.input] : []));
  const same = typed.length === argv.length && [...typed].sort().join('\0') === [...argv].sort().join('\0');
  return same ? typed : [...argv];
}

/**
 * The arguments, none of them read from stdin: oclif fills a missing argument with what is piped in, so
 * `printf 'b' | ufs cat` printed the file "b" and `somecmd | ufs upload` took its output for a file name. A missing
 * argument is a usage error instead (64); data comes from stdin only where a command says so (`ufs upload -`).
 */
function withoutStdin(args: Interfaces.ArgInput | undefined): Interfaces.ArgInput {
  return Object.fromEntries(Object.entries(args ?? {}).map(([name, arg]) => [name, { ...arg, ignoreStdin: true }]));
}

export function debugOn(): boolean {
  const value = process.env.DEBUG?.trim();
  return Boolean(value) && value !== '0' && value !== 'false';
}
