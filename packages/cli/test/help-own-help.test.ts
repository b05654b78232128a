// The help command has help of its own, reached as every other command's is: `ufs help --help`, `ufs help -h` and
// `ufs help help` show its usage, its --nested-commands flag and its examples (oclif's Help skipped the word "help"
// when it looked for the subject, so all three showed the root help).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  box = await sandbox();
});
afterAll(() => box.cleanup());

const text = async (args: string[]) => {
  const run = await ufs(args, { env: box.env });
  expect({ args, status: run.status, stderr: run.stderr }).toEqual({ args, status: 0, stderr: '' });
  return run.stdout;
};

describe("the help command's own help", () => {
  it.each([[['help', '--help']], [['help', '-h']], [['help', 'help']], [['help', 'help', '--help']]])(
    'ufs %j shows it',
    async (args) => {
      const out = await text(args);
      expect(out).toMatch(/^Show help for ufs, a topic or a command\./);
      expect(out).toMatch(/\$ ufs help \[COMMAND\.\.\.\]/);
      expect(out).toMatch(/-n, --nested-commands\s+Include all nested commands in the output\./);
      expect(out).toMatch(/EXAMPLES\n[\s\S]*\$ ufs help scan/);
      expect(out).not.toMatch(/^TOPICS$/m);
    },
  );

  it('is the same text whichever way it is asked for', async () => {
    const [flag, short, word] = await Promise.all([
      text(['help', '--help']),
      text(['help', '-h']),
      text(['help', 'help']),
    ]);
    expect(short).toBe(flag);
    expect(word).toBe(flag);
  });

  it('leaves the root help and the help of other commands as they were', async () => {
    for (const root of [await text(['--help']), await text(['help']), await text(['-h'])]) {
      expect(root).toMatch(/^TOPICS$/m);
      expect(root).toMatch(/^COMMANDS$/m);
      expect(root).not.toMatch(/--nested-commands/);
    }
    const ls = await text(['help', 'ls']);
    expect(ls).toBe(await text(['ls', '--help']));
    expect(ls).toMatch(/^List a folder of a mount/);
    expect(await text(['help', 'server', 'key'])).toMatch(/^API keys of the dedup server/);
  });
});
