import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

// Two PATHs that read as the same text: `bad\xff` (not valid UTF-8: Node reads it as `bad\uFFFD`) and `bad\uFFFD` (a
// valid name holding U+FFFD). The bytes of the command line tell them apart by position, flags and their values
// left aside: the first is refused (not valid UTF-8), the second is scanned, in either order. A real process, given
// the bytes by bash.

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string; context: { path?: string } }>;
}

let box: Awaited<ReturnType<typeof sandbox>>;
let t: string;

beforeAll(async () => {
  box = await sandbox();
  t = join(box.dir, 'twins');
  await mkdir(Buffer.from(`${t}/bad\xff`, 'latin1'), { recursive: true });
  await writeFile(Buffer.from(`${t}/bad\xff/g.txt`, 'latin1'), 'g\n');
  await mkdir(join(t, 'bad\uFFFD'), { recursive: true });
  await writeFile(join(t, 'bad\uFFFD', 'f.txt'), 'f\n');
});
afterAll(async () => {
  await box?.cleanup();
});

/** `ufs scan ARGS…`, each of `escaped` printed by bash's printf %b (so `\xff` is the byte), after the flags. */
function scanBytes(flags: string[], escaped: string[]) {
  const script = `exec "$@" ${escaped.map((_, i) => `"$(printf %b "$A${i}")"`).join(' ')}`;
  const env = { ...box.env, ...Object.fromEntries(escaped.map((e, i) => [`A${i}`, e])) };
  return ufs(['scan', '--dry-run', '--no-cache', '--json', ...flags], {
    env,
    cwd: t,
    timeoutMs: 30_000,
    wrap: (argv) => ['bash', '-c', script, 'bash', ...argv],
  });
}

const refusal = (path: string) =>
  `[ufs] scan "${path}": the name is not valid UTF-8 (shown with \uFFFD); records hold paths as text, so it cannot be catalogued: rename it`;

describe('ufs scan: a valid PATH holding U+FFFD beside a not-valid-UTF-8 PATH that reads the same', () => {
  it.each([
    ['bad first', [], ['bad\\xff', 'bad\uFFFD']],
    ['valid first', [], ['bad\uFFFD', 'bad\\xff']],
    [
      'after flags taking values',
      ['--hostname', 'bad\uFFFD', '-x', 'bad\uFFFD/none', '-c', '2'],
      ['bad\uFFFD', 'bad\\xff'],
    ],
  ])('%s: the bad one is refused, the valid one is scanned', async (_, flags, paths) => {
    const run = await scanBytes(flags, paths);
    const out = run.json<ScanJson>();
    expect(out.failures.map((f) => f.message)).toEqual([refusal(join(t, 'bad\uFFFD'))]);
    expect(out.stats).toMatchObject({ files: 1, failed: 1 });
    expect(run.status).toBe(65);
  });

  it('the valid one alone is scanned; the bad one alone is refused (as before)', async () => {
    let run = await scanBytes([], ['bad\uFFFD']);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 1, failed: 0 });
    expect(run.status).toBe(0);
    run = await scanBytes([], ['bad\\xff']);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 0, failed: 1 });
    expect(run.status).toBe(65);
  });
});
