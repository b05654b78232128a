import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/**
 * Where the server's log lines go: `'stderr'`, every line (for a command whose stdout is its output, such as
 * `ufs serve --json`); `'split'`, Nest's convention (log, warn and debug on stdout, error and fatal on stderr: a
 * container's log, where stderr often reads as errors).
 */
export type LogStream = 'stderr' | 'split';

/** ANSI colours for a stream: only a terminal gets them, and never when NO_COLOR is set (no-color.org). */
export function colorsFor(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** Nest's console logger (the same lines) on the streams `LogStream` says, coloured only where colorsFor allows. */
export class DedupLogger extends ConsoleLogger {
  constructor(
    private readonly target: LogStream,
    logLevels: LogLevel[],
  ) {
    super({ logLevels, colors: colorsFor(process.stderr) && (target === 'stderr' || colorsFor(process.stdout)) });
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    const stream = this.target === 'stderr' ? 'stderr' : (writeStreamType ?? 'stdout');
    // Decided per line: with the split, stdout may be a terminal and stderr a file, or the other way round.
    this.options.colors = colorsFor(process[stream]);
    super.printMessages(messages, context, logLevel, stream, errorStack, params);
  }
}
