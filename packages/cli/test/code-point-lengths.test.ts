// Lengths the server limits in characters are counted in characters (code points) by the CLI too, as the server
// counts them: 1000 emoji are a valid key description and 200 emoji a valid host name (an emoji is two UTF-16 units),
// one more than the limit is refused naming the count. Real `ufs` processes; nothing needs a server.
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  box = await sandbox();
  await mkdir(join(box.dir, 'tree'));
  await writeFile(join(box.dir, 'tree', 'a.txt'), 'a\n');
});
afterAll(() => box.cleanup());

it('server key create --description: 1000 emoji are taken, 1001 refused as 1001 characters', async () => {
  const create = (description: string, dir: string) =>
    ufs(['server', 'key', 'create', 'k', '-d', description, '--bootstrap', '--data-dir', join(box.dir, dir)], {
      env: box.env,
    });
  const [taken, over] = await Promise.all([create('😀'.repeat(1000), 'd1'), create('😀'.repeat(1001), 'd2')]);
  expect(taken.stderr).not.toContain('longer than');
  expect(taken.status).toBe(0);
  expect(over.status).toBe(64);
  expect(over.stderr).toContain('--description is longer than 1000 characters (1001)');
});

it('scan --hostname: 255 emoji are taken, 256 refused as 256 characters', async () => {
  const scan = (hostname: string) =>
    ufs(['scan', '--dry-run', '--no-cache', '--hostname', hostname, join(box.dir, 'tree')], { env: box.env });
  const [taken, over] = await Promise.all([scan('😀'.repeat(255)), scan('😀'.repeat(256))]);
  expect(taken.status).toBe(0);
  expect(over.status).toBe(64);
  expect(over.stderr).toContain('--hostname is longer than 255 characters (256)');
});
