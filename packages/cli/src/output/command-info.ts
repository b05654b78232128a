import type { Command } from '@oclif/core';

/** One argument of a command, as `ufs help --json` describes it. */
export interface ArgInfo {
  name: string;
  description?: string;
  required: boolean;
  options?: readonly string[];
  default?: unknown;
}

/** One flag of a command, as `ufs help --json` describes it. */
export interface FlagInfo {
  name: string;
  char?: string;
  description?: string;
  /** `boolean`: a switch; `option`: takes a value. */
  type: 'boolean' | 'option';
  required: boolean;
  multiple: boolean;
  /** Whether `--no-NAME` is accepted (boolean flags). */
  allowNo?: boolean;
  options?: readonly string[];
  default?: unknown;
  env?: string;
  /** `GLOBAL` for the flags every command has. */
  group?: string;
}

/** A command as `ufs help --json` describes it: what `ufs COMMAND --help` shows, as data. */
export interface CommandInfo {
  /** The words that run it: `server key create`. */
  command: string;
  summary?: string;
  description?: string;
  usage: string;
  aliases: string[];
  args: ArgInfo[];
  flags: FlagInfo[];
  examples: Array<{ command: string; description?: string }>;
}

/** `<%= config.bin %>` and `<%= command.id %>`, the two placeholders the commands' texts use. */
function render(text: string, bin: string, words: string): string {
  return text.replaceAll('<%= config.bin %>', bin).replaceAll('<%= command.id %>', words);
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}

/** The usage line: the command's own when it has one, else its arguments (optional ones in brackets). */
function usageOf(command: Command.Loadable, bin: string, words: string): string {
  const own = Array.isArray(command.usage) ? command.usage[0] : command.usage;
  if (typeof own === 'string') return `${bin} ${render(own, bin, words)}`;
  const args = Object.values(command.args).map((arg) => {
    const name = arg.name.toUpperCase();
    return arg.required ? name : `[${name}]`;
  });
  return [bin, words, ...args, '[FLAGS]'].join(' ');
}

/** Describes a command from oclif's manifest (nothing is loaded or run). */
export function commandInfo(command: Command.Loadable, bin: string, separator: string): CommandInfo {
  const words = command.id.replaceAll(':', separator);
  const text = (value: unknown) => (typeof value === 'string' ? render(value, bin, words) : undefined);
  return defined({
    command: words,
    summary: text(command.summary),
    description: text(command.description),
    usage: usageOf(command, bin, words),
    aliases: (command.aliases ?? []).map((alias) => alias.replaceAll(':', separator)),
    args: Object.values(command.args).map((arg) =>
      defined<ArgInfo>({
        name: arg.name,
        description: arg.description,
        required: Boolean(arg.required),
        options: arg.options as string[] | undefined,
        default: typeof arg.default === 'function' ? undefined : arg.default,
      }),
    ),
    flags: Object.values(command.flags)
      .filter((flag) => !flag.hidden)
      .map((flag) =>
        defined<FlagInfo>({
          name: flag.name,
          char: flag.char,
          description: flag.description,
          type: flag.type,
          required: Boolean(flag.required),
          multiple: flag.type === 'option' && Boolean(flag.multiple),
          allowNo: flag.type === 'boolean' ? Boolean(flag.allowNo) : undefined,
          options: flag.type === 'option' ? (flag.options as string[] | undefined) : undefined,
          default: typeof flag.default === 'function' ? undefined : flag.default,
          env: flag.env,
          group: flag.helpGroup,
        }),
      ),
    examples: (command.examples ?? []).map((example) =>
      typeof example === 'string'
        ? { command: render(example, bin, words) }
        : defined({ command: render(example.command, bin, words), description: text(example.description) }),
    ),
  });
}
