import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;

beforeAll(async () => {
  box = await sandbox();
  await writeFile(`${box.dir}/a.txt`, 'a');
});
afterAll(() => box.cleanup());

describe('cp / mv with too few arguments say what is missing (64)', () => {
  it.each(['cp', 'mv'])('%s a.txt: a destination is needed (not "Missing 1 required arg: source")', async (name) => {
    const run = await ufs([name, 'a.txt'], { env: box.env, cwd: box.dir });
    expect(run.stderr.trim()).toBe(
      `[ufs] ${name}: a destination is needed after "a.txt": ${name} SOURCE... DEST (see --help)`,
    );
    expect(run.status).toBe(64);
    expect(readdirSync(box.dir).sort()).toEqual(['a.txt']);
  });

  it('cp alone: a source and a destination are needed; --json gives the error', async () => {
    const run = await ufs(['cp'], { env: box.env, cwd: box.dir });
    expect(run.stderr.trim()).toBe('[ufs] cp: a source and a destination are needed: cp SOURCE... DEST (see --help)');
    expect(run.status).toBe(64);
    const json = await ufs(['cp', '--json', 'a.txt'], { env: box.env, cwd: box.dir });
    expect(json.json()).toMatchObject({ error: { code: 'INVALID_INPUT', exitCode: 64 } });
  });
});
