// Arguments never come from stdin (oclif fills a missing one with what is piped in), and `ufs cat` of many files
// streams them all to stdout without a warning.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let root: string;

beforeAll(async () => {
  box = await sandbox();
  root = join(box.dir, 'work');
  await mkdir(root, { recursive: true });
  for (let i = 0; i < 15; i++) await writeFile(join(root, `f${String(i).padStart(2, '0')}`), `line ${i}\n`);
});
afterAll(() => box.cleanup());

describe('arguments are not read from stdin', () => {
  it('cat with its file name piped in is a usage error, not a read of that file', async () => {
    const run = await ufs(['cat'], { env: box.env, cwd: root, input: 'f01\n' });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 64, stdout: '' });
    expect(run.stderr).toContain('Missing 1 required arg: path');
  });

  it('upload with text piped in and no FILE is a usage error, not an upload of a file named by it', async () => {
    const run = await ufs(['upload', '--no-verify'], { env: box.env, cwd: root, input: 'f01' });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 64, stdout: '' });
    // One line, without oclif's note on flags that take several values when none was typed
    expect(run.stderr.trim()).toBe('[ufs] Missing 1 required arg: file File(s) to upload ("-" for stdin) (see --help)');
    const withProvider = await ufs(['upload', '-p', 'catbox'], { env: box.env, cwd: root });
    expect(withProvider.status).toBe(64);
    expect(withProvider.stderr).toContain('Note: --provider allows multiple values');
  });

  it('stat with a path piped in is a usage error too', async () => {
    const run = await ufs(['stat', '--json'], { env: box.env, cwd: root, input: join(root, 'f02') });
    expect(run.status).toBe(64);
    expect(run.json<{ error: { code: string } }>().error.code).toBe('INVALID_INPUT');
  });
});

describe('ufs cat of many files', () => {
  it('streams each in order with nothing on stderr (no listener warning past ten files)', async () => {
    const names = Array.from({ length: 15 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    const run = await ufs(['cat', ...names], { env: box.env, cwd: root });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toBe(names.map((_, i) => `line ${i}\n`).join(''));
  });
});
