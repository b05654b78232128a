/** Whether to draw progress: stderr is a terminal (or `UFS_PROGRESS=1` forces it), and not in JSON mode. */
export function progressWanted(
  json: boolean,
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  if (json || env.UFS_PROGRESS === '0') return false;
  return env.UFS_PROGRESS === '1' || Boolean(process.stderr.isTTY);
}

/**
 * One status line on stderr, redrawn at most every `intervalMs` (`\r` + clear line on a terminal; plain lines
 * otherwise, so a forced progress display stays readable in logs). `done()` clears it.
 */
export class ProgressLine {
  private last = 0;
  private shown = false;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly enabled: boolean,
    private readonly intervalMs = 100,
  ) {}

  /** `text` may be a function: then it is built only when the line is actually drawn (callers update per file). */
  update(text: string | (() => string), force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    if (typeof text === 'function') text = text();
    // A pseudo-terminal without a size (`script`, some CI runners) reports 0 columns: treat it as unknown.
    const width = process.stderr.columns || 120;
    const line = text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text;
    process.stderr.write(this.tty ? `\r\x1b[2K${line}` : `${line}\n`);
    this.shown = true;
  }

  /** Clears the line (terminal) so the next output starts clean. */
  done(): void {
    if (this.enabled && this.tty && this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = false;
  }
}
