import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countingProxy } from './helpers/counting-proxy.js';
import { frames, screen, ufsInPty } from './helpers/pty.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// The progress line of src/scan/stats.ts (progressText), with and without the server's part (and the upload in
// flight, when one is).
const PROGRESS =
  /^scan: \d+ files \([^)]+\) (\| uploading \S+ [^|]+\/[^|]+ )?\| hashed \d+ \([^)]+\), cached \d+ \| sent \d+, unchanged \d+ \| uploaded \d+ \([^)]+\)$/;
const DRY_PROGRESS = /^scan: \d+ files \([^)]+\) \| hashed \d+ \([^)]+\), cached \d+$/;
const CLEAR = '\r\x1b[2K';

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let env: Record<string, string>;
let tree: string;

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  env = { ...box.env, UFS_SERVER: server.url, UFS_API_KEY: server.apiKey! };
  tree = join(box.dir, 'tree');
  await mkdir(tree, { recursive: true });
  for (const name of ['one.bin', 'two.bin', 'three.bin']) await writeFile(join(tree, name), randomBytes(50_000));
});
afterAll(async () => {
  await server?.stop();
  await box.cleanup();
});

describe('ufs scan on a terminal (a real pseudo-terminal from util-linux script)', () => {
  it('redraws one progress line in place and clears it before the summary', async () => {
    // Each answer of this server takes 300 ms and every record is its own batch (--batch-size 1), so the line is
    // drawn more than once (at most every 200 ms) however fast or loaded the machine is.
    const slow = await countingProxy(server.url, { delayMs: 300 });
    try {
      const run = await ufsInPty(
        ['scan', '--server', slow.url, '--no-cache', '--batch-size', '1', '--hostname', 'tty', tree],
        { env, cols: 160 },
      );
      expect(run.status).toBe(0);
      const out = run.stdout;
      const drawn = frames(out);
      expect(drawn.length).toBeGreaterThanOrEqual(2);
      for (const text of drawn) expect(text).toMatch(PROGRESS);
      // counts only grow from one redraw to the next, and the server's answers show on the line
      const sent = drawn.map((text) => Number(/\| sent (\d+), unchanged \d+ \|/.exec(text)![1]));
      expect(sent).toEqual([...sent].sort((a, b) => a - b));
      expect(sent[sent.length - 1]).toBeGreaterThanOrEqual(1);
      // every draw is carriage return + clear line; the last clear comes right before the summary
      expect(out.startsWith(`${CLEAR}scan: `)).toBe(true);
      expect(out.slice(out.lastIndexOf(CLEAR) + CLEAR.length)).toMatch(/^files:\s+3 \(/);
      // what stays on the screen: the summary alone, no leftover of the progress line
      const shown = screen(out);
      expect(shown.map((line) => line.split(':')[0])).toEqual([
        'files',
        'symlinks',
        'hashed',
        'unchanged',
        'new',
        'deduplicated',
        'uploaded',
        'failed',
        'time',
      ]);
      expect(shown.join('\n')).toMatch(/^new:\s+3$/m);
      expect(shown.join('\n')).toMatch(/^uploaded:\s+3 /m);
    } finally {
      await slow.close();
    }
  });

  it('fits the line to the terminal width; a terminal with no size (0 columns) gets the whole line', async () => {
    const narrow = await ufsInPty(['scan', '--dry-run', '--no-cache', tree], { env: box.env, cols: 40 });
    expect(narrow.status).toBe(0);
    const cut = frames(narrow.stdout);
    expect(cut.length).toBeGreaterThanOrEqual(1);
    // one column is kept free so the line never wraps (a wrapped line could not be cleared with \r)
    for (const text of cut) expect(text).toMatch(/^scan: \d+ files .*…$/);
    for (const text of cut) expect([...text].length).toBe(39);
    expect(screen(narrow.stdout)[0]).toMatch(/^files:\s+3 /);

    const sizeless = await ufsInPty(['scan', '--dry-run', '--no-cache', tree], { env: box.env });
    expect(sizeless.status).toBe(0);
    const whole = frames(sizeless.stdout);
    expect(whole.length).toBeGreaterThanOrEqual(1);
    for (const text of whole) expect(text).toMatch(DRY_PROGRESS);
  });

  it('--json on a terminal draws no progress and sends no escape codes', async () => {
    const run = await ufsInPty(['scan', '--no-cache', '--hostname', 'tty-json', '--json', tree], { env, cols: 160 });
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain('\x1b');
    expect(run.stdout).not.toContain('scan:');
    const { stats } = JSON.parse(run.stdout) as { stats: Record<string, number> };
    expect(stats).toMatchObject({ files: 3, hashed: 3, sent: 3, failed: 0 });
  });

  it('progress follows stderr: drawn only when stderr is a terminal, never into a file or a pipe', async () => {
    // stderr to a file, stdout the terminal: no progress, a plain summary
    const errFile = join(box.dir, 'stderr.txt');
    const quiet = await ufsInPty(['scan', '--dry-run', '--no-cache', tree], { env: box.env, stderrTo: errFile });
    // (status and stderr together, so a failure shows why the process ended)
    expect({ status: quiet.status, stderr: await readFile(errFile, 'utf8') }).toEqual({ status: 0, stderr: '' });
    expect(quiet.stdout).not.toContain('\x1b');
    expect(screen(quiet.stdout)[0]).toMatch(/^files:\s+3 /);

    // stdout to a file (`ufs scan … > summary.txt` in a shell): the terminal gets the progress and is left clean,
    // the file gets the summary without escape codes
    const outFile = join(box.dir, 'summary.txt');
    const redirected = await ufsInPty(['scan', '--dry-run', '--no-cache', tree], {
      env: box.env,
      cols: 160,
      stdoutTo: outFile,
    });
    expect(redirected.status).toBe(0);
    expect(frames(redirected.stdout).length).toBeGreaterThanOrEqual(1);
    expect(redirected.stdout.endsWith(CLEAR)).toBe(true);
    expect(screen(redirected.stdout)).toEqual([]);
    const summary = await readFile(outFile, 'utf8');
    expect(summary).toMatch(/^files:\s+3 /);
    expect(summary).not.toContain('\x1b');
    expect(summary).not.toContain('\r');

    // pipes with a forced display (UFS_PROGRESS=1): plain lines, no escape codes
    const piped = await ufs(['scan', '--dry-run', '--no-cache', tree], { env: { ...box.env, UFS_PROGRESS: '1' } });
    expect(piped.status).toBe(0);
    expect(piped.stderr).toMatch(/^scan: 3 files /m);
    expect(piped.stderr + piped.stdout).not.toContain('\x1b');
    expect(piped.stderr + piped.stdout).not.toContain('\r');
  });
});
