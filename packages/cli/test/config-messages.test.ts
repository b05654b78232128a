// A config file's problems name the full path of the key (`upload.verify`, not `verify` or `(root)`), say what the
// value must be in words (not zod's `Invalid input: expected boolean, received string`), and suggest a close key.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let file: string;

beforeAll(async () => {
  box = await sandbox();
  file = join(box.dir, 'a.txt');
  await writeFile(file, 'a\n');
});
afterAll(() => box.cleanup());

describe('config file problems', () => {
  it.each([
    ['upload:\n  providrs: [0x0]\n', 'upload.providrs: unknown key (did you mean providers?)'],
    ['providrs: [0x0]\n', 'providrs: unknown key (did you mean providers?)'],
    ['upload:\n  verify: "no"\n', 'upload.verify: must be true or false (got "no")'],
    ['verify: "no"\n', 'verify: must be true or false (got "no")'],
    ['upload:\n  zzzzzz: 1\n', 'upload.zzzzzz: unknown key'],
    ['upload:\n  maxAttempts: 50\n', 'upload.maxAttempts: must be a whole number from 1 to 20, got 50'],
    ['upload: 5\n', 'upload: must be a map of settings (got 5)'],
    [
      'serve:\n  hots: x\n  port: 70000\n',
      'serve.port: must be at most 65535 (got 70000); serve.hots: unknown key (did you mean host?)',
    ],
    ['scan:\n  concurrency: "3"\n', 'scan.concurrency: must be a number (got "3")'],
    ['server:\n  url: nope\n', 'server.url: must be a valid URL (got "nope")'],
    [
      'expire: ""\nupload:\n  fragile: 1\n',
      'expire: must not be empty (got ""); upload.fragile: must be true or false (got 1)',
    ],
  ])('%j', async (text, problem) => {
    const config = join(box.dir, 'config.yaml');
    await writeFile(config, text);
    const run = await ufs(['upload', '--config', config, file], { env: box.env });
    expect({ status: run.status, stderr: run.stderr.trim() }).toEqual({
      status: 78,
      stderr: `[ufs] config "${config}": ${problem}`,
    });
  });
});
