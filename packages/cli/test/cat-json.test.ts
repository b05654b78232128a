import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let root: string;

const binary = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x61, 0x62, 0x63]);
const text = 'héllo ✓ 𝄞\n';

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  root = join(box.dir, 'files');
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'bin.dat'), binary);
  await writeFile(join(root, 'text.txt'), text);
  await writeFile(join(root, 'empty.txt'), '');
  // A valid text whose last character is cut in the middle of its bytes.
  await writeFile(join(root, 'cut.txt'), Buffer.from(text, 'utf8').subarray(0, -2));
}, 60_000);
afterAll(() => box.cleanup());

interface Item {
  path: string;
  text: string;
  encoding: string;
}

describe('ufs cat --json: content that is not UTF-8 comes as base64, never mangled', () => {
  it('binary bytes are base64 with encoding "base64"; UTF-8 text is itself with encoding "utf8"', async () => {
    const run = await ufs(['cat', '--json', 'bin.dat', 'text.txt', 'empty.txt', 'cut.txt'], { env, cwd: root });
    expect(run.status).toBe(0);
    const items = run.json<Item[]>();
    expect(items).toEqual([
      { path: join(root, 'bin.dat'), text: binary.toString('base64'), encoding: 'base64' },
      { path: join(root, 'text.txt'), text, encoding: 'utf8' },
      { path: join(root, 'empty.txt'), text: '', encoding: 'utf8' },
      {
        path: join(root, 'cut.txt'),
        text: Buffer.from(text, 'utf8').subarray(0, -2).toString('base64'),
        encoding: 'base64',
      },
    ]);
    expect(Buffer.from(items[0]!.text, 'base64').equals(binary)).toBe(true);
  });

  it('the same from S3', async () => {
    const s3 = await s3Bucket();
    await s3.put('b.bin', binary);
    const dir = join(box.dir, 's3-config');
    await mkdir(join(dir, 'ufs'), { recursive: true });
    await writeFile(join(dir, 'ufs', 'config.yaml'), JSON.stringify({ mounts: { s3: s3.mount } }));
    const run = await ufs(['cat', '--json', 's3:b.bin'], { env: { ...env, XDG_CONFIG_HOME: dir } });
    expect(run.status).toBe(0);
    expect(run.json<Item[]>()).toEqual([{ path: 's3:b.bin', text: binary.toString('base64'), encoding: 'base64' }]);
  });

  it('the help says what --json gives', async () => {
    const run = await ufs(['cat', '--help'], { env });
    expect(run.stdout.replace(/\s+/g, ' ')).toMatch(/encoding "base64"/);
  });
});
