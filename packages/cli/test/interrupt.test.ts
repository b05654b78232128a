import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { getMaxListeners } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { sandbox, ufs } from './helpers/ufs.js';
import type * as Interrupt from '../src/interrupt.js';

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
  it("its signal works with fetch's Request (Node 20 throws on a listener limit of 0: every Dropbox upload failed)", async () => {
    const { onInterrupt } = (await import(INTERRUPT)) as typeof Interrupt;
    const interrupt = onInterrupt();
    try {
      expect(getMaxListeners(interrupt.signal)).toBeGreaterThan(1000);
      expect(new Request('http://127.0.0.1/', { signal: interrupt.signal }).signal.aborted).toBe(false);
    } finally {
      interrupt.dispose();
    }
  });

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

describe('Ctrl-C during ufs cp / mv (a real process, a large streamed copy)', () => {
  const TEMP = /^\.ufs-.*\.tmp$/;

  /** Two local mounts (so bytes are streamed, not copied by the OS) and a 4 GiB sparse file (no disk used). */
  async function setUp() {
    const box = await sandbox();
    const [a, b] = [join(box.dir, 'a'), join(box.dir, 'b')];
    await mkdir(a, { recursive: true });
    await mkdir(b, { recursive: true });
    await writeFile(join(a, 'big.bin'), '');
    await truncate(join(a, 'big.bin'), 4 * 1024 ** 3);
    await mkdir(join(box.env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
    await writeFile(
      join(box.env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'),
      stringify({ mounts: { a: { protocol: 'local', root: a }, b: { protocol: 'local', root: b } } }),
    );
    return { box, a, b };
  }

  /** Runs `ufs <args>` and sends SIGINT as soon as a temporary file shows up in `dir`. */
  async function interruptWhileWriting(args: string[], env: Record<string, string>, dir: string) {
    let sawTemp = false;
    const run = await ufs(args, {
      env,
      timeoutMs: 60_000,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (readdirSync(dir).some((name) => TEMP.test(name))) {
            sawTemp = true;
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 5);
        child.once('exit', () => clearInterval(poll));
      },
    });
    return { run, sawTemp };
  }

  it('cp: the first SIGINT removes the file being written and exits 130 with one line', async () => {
    const { box, b } = await setUp();
    try {
      const { run, sawTemp } = await interruptWhileWriting(['cp', 'a:big.bin', 'b:'], box.env, b);
      expect(sawTemp).toBe(true);
      expect(run.status).toBe(130);
      expect(readdirSync(b)).toEqual([]); // neither the temporary file nor a partial big.bin
      expect(run.stderr.trim()).toMatch(/^\[ufs\] copy "a:big\.bin".*aborted/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await box.cleanup();
    }
  });

  it('mv: same, and the source stays where it was', async () => {
    const { box, a, b } = await setUp();
    try {
      const { run, sawTemp } = await interruptWhileWriting(['mv', 'a:big.bin', 'b:moved.bin'], box.env, b);
      expect(sawTemp).toBe(true);
      expect(run.status).toBe(130);
      expect(readdirSync(b)).toEqual([]);
      expect(statSync(join(a, 'big.bin')).size).toBe(4 * 1024 ** 3);
    } finally {
      await box.cleanup();
    }
  });
});
