import { existsSync } from 'node:fs';
import { ufs, type Run, type RunOptions } from './ufs.js';

/** util-linux `script` (Debian bsdutils, listed in scripts/install-test-deps.sh): a real pseudo-terminal. */
export const SCRIPT = '/usr/bin/script';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PtyOptions extends RunOptions {
  /** Terminal width set with `stty cols` before ufs starts; omitted, the terminal has no size (0 columns). */
  cols?: number;
  /** Redirect ufs's stdout or stderr to a file (the other stays the terminal). */
  stdoutTo?: string;
  stderrTo?: string;
}

/**
 * Runs `ufs` on a fresh pseudo-terminal (`script -qefc … /dev/null`): its stdout and stderr are a TTY, as in an
 * interactive shell. What the terminal received (both streams, in order, `\n` turned into `\r\n` by the terminal)
 * is the run's `stdout`; the status is ufs's own (`-e`).
 */
export function ufsInPty(args: readonly string[], options: PtyOptions = {}): Promise<Run> {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run scripts/install-test-deps.sh (bsdutils)`);
  const { cols, stdoutTo, stderrTo, ...rest } = options;
  return ufs(args, {
    ...rest,
    // script runs the command with $SHELL -c
    env: { ...rest.env, SHELL: '/bin/sh' },
    wrap: (argv) => {
      const redirects = `${stdoutTo ? ` >${quote(stdoutTo)}` : ''}${stderrTo ? ` 2>${quote(stderrTo)}` : ''}`;
      const command = `exec ${argv.map(quote).join(' ')}${redirects}`;
      return [SCRIPT, '-qefc', cols ? `stty cols ${cols} && ${command}` : command, '/dev/null'];
    },
  });
}

/**
 * What a terminal shows after `output`: `\r` returns to the start of the line, `\n` starts a new one, `ESC [2K`
 * clears the line, text overwrites. Any other control sequence throws (ufs scan should send no other).
 */
export function screen(output: string): string[] {
  const lines: string[][] = [[]];
  let col = 0;
  for (let i = 0; i < output.length; i++) {
    const ch = output[i]!;
    const line = lines[lines.length - 1]!;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      lines.push([]);
      col = 0;
    } else if (output.startsWith('\x1b[2K', i)) {
      line.length = 0;
      i += 3;
    } else if (ch < ' ' || ch === '\x7f') {
      throw new Error(`unexpected control character ${JSON.stringify(output.slice(i, i + 8))} in:\n${output}`);
    } else {
      while (line.length < col) line.push(' ');
      line[col++] = ch;
    }
  }
  const shown = lines.map((l) => l.join('').trimEnd());
  while (shown.length > 0 && shown[shown.length - 1] === '') shown.pop();
  return shown;
}

/**
 * The lines drawn in place: what follows each `\r ESC [2K` up to the next one, when it holds no new line (the
 * text after the last clear, printed on its own lines, is not one).
 */
export function frames(output: string): string[] {
  return output
    .split('\r\x1b[2K')
    .slice(1)
    .filter((part) => part !== '' && !part.includes('\n'));
}
