import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const INTERRUPT = new URL('../dist/interrupt.js', import.meta.url).href;

/**
 * A real process using onInterrupt, with a listener added after ours that behaves like signal-exit (loaded by
 * tus-js-client): when it sees itself as the only SIGINT listener, it re-raises the signal and the process dies.
 */
const SCRIPT = `
const { onInterrupt } = await import(${JSON.stringify(INTERRUPT)});
const interrupt = onInterrupt(() => new Error('interrupted'));
const reRaise = () => { if (process.listenerCount('SIGINT') === 1) { process.off('SIGINT', reRaise); process.kill(process.pid, 'SIGINT'); } };
process.on('SIGINT', reRaise);
interrupt.signal.addEventListener('abort', () => console.log('aborted: ' + interrupt.signal.reason.message));
console.log('ready');
const linger = setInterval(() => undefined, 1000);
process.stdin.once('data', () => { interrupt.dispose(); clearInterval(linger); console.log('cleaned up'); process.stdin.pause(); });
`;

function start() {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    waiters.splice(0).forEach((wake) => wake());
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const line = async (text: string) => {
    while (!lines.includes(text)) await new Promise<void>((wake) => waiters.push(wake));
  };
  return { child, lines, exited, line };
}

describe('Ctrl-C in long commands (onInterrupt)', () => {
  it('the first SIGINT aborts the work and the process lives on to clean up, even with signal-exit loaded', async () => {
    const p = start();
    await p.line('ready');
    p.child.kill('SIGINT');
    await p.line('aborted: interrupted');
    p.child.stdin.end('done\n');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.lines).toEqual(['ready', 'aborted: interrupted', 'cleaned up']);
  });

  it('a second SIGINT exits at once with status 130', async () => {
    const p = start();
    await p.line('ready');
    p.child.kill('SIGINT');
    await p.line('aborted: interrupted');
    p.child.kill('SIGINT');
    expect(await p.exited).toEqual({ code: 130, signal: null });
    expect(p.lines).not.toContain('cleaned up');
  });
});
