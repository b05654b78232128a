import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

// `ufs scan --verbose` prints more about the names than the plain run: its own lines (the PATHs and host, the roots
// left out by --exclude or walked once) and, for a failure, the details (context, the `caused by:` chain and its
// stacks). None of them may carry a name's control characters raw: C0 (ESC, BEL, a newline), DEL and C1 (U+009B is
// CSI on some terminals) are shown escaped, as the per-failure line shows them. Real processes, real folders.

let box: Awaited<ReturnType<typeof sandbox>>;

// Raw controls a terminal would run: every C0 but the line break, DEL, C1.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const evil = 'ev\x1b]0;PWNED\x07il\x1b[2J\x9b31m';
const newline = 'new\nline\x85';

beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => {
  await box?.cleanup();
});

function expectEscaped(stderr: string): void {
  expect(stderr).not.toMatch(RAW);
  // A name's newline is no line break: no line starts with what followed it.
  expect(stderr.split('\n').some((line) => line.startsWith('line'))).toBe(false);
}

describe('ufs scan --verbose: names with control characters', () => {
  it('escapes them in the scan line and the walk lines (left out by --exclude, walked once)', async () => {
    const root = join(box.dir, 'walk');
    const left = join(root, evil);
    const inner = join(root, newline);
    await mkdir(left, { recursive: true });
    await mkdir(inner, { recursive: true });
    await writeFile(join(left, 'f'), 'left\n');
    await writeFile(join(inner, 'g'), 'inner\n');
    const run = await ufs(['scan', '-V', '-n', '--hostname', 'h', '--exclude', 'ev*', left, inner, root, inner], {
      env: box.env,
      timeoutMs: 30_000,
    });
    expect(run.status).toBe(0);
    expectEscaped(run.stderr);
    const shown = (name: string) =>
      JSON.stringify(name).slice(1, -1).replace('\x85', '\\u0085').replace('\x9b', '\\u009b');
    expect(run.stderr).toContain(`"${shown(left)}"`);
    expect(run.stderr).toContain(' as h (dry run)');
    expect(run.stderr).toMatch(/left out by --exclude/);
    expect(run.stderr).toMatch(/walked once/);
    expect(run.stderr).toContain(`${shown(inner)}`);
  });

  it('escapes them in the details of a failure (context, caused by: and its stack)', async () => {
    const gone = join(box.dir, `gone${evil}${newline}`);
    const run = await ufs(['scan', '-V', '-n', gone], { env: box.env, timeoutMs: 30_000 });
    expect(run.status).toBe(66);
    expect(run.stderr).toMatch(/^code: NOT_FOUND$/m);
    expect(run.stderr).toMatch(/^caused by: Error: ENOENT/m);
    expectEscaped(run.stderr);
    expect(run.stderr).toContain('\\u001b]0;PWNED\\u0007');
    expect(run.stderr).toContain('\\u009b31m');
  });
});
