import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs, type Run } from './helpers/ufs.js';

// A folder whose contents cannot be read (mode 000) in the middle of a tree. Root reads it anyway, so when the tests
// run as root the commands run as the unprivileged user `nobody` (setpriv), who owns the sandbox: then the refusal
// (EACCES) is real, as it is for any user.
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const asUser = (argv: string[]) =>
  asRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...argv] : argv;

let box: Awaited<ReturnType<typeof sandbox>>;
let src: string;

function run(args: string[]): Promise<Run> {
  return ufs(args, { env: box.env, cwd: box.dir, wrap: asUser });
}

beforeAll(async () => {
  box = await sandbox();
  await chmod(box.dir, 0o755);
});
afterAll(async () => {
  await chmod(join(src, 'locked'), 0o755).catch(() => undefined);
  await box.cleanup();
});

beforeEach(async () => {
  src = join(box.dir, 'src');
  await chmod(join(src, 'locked'), 0o755).catch(() => undefined);
  execFileSync('rm', ['-rf', src, join(box.dir, 'dst')]);
  await mkdir(join(src, 'ok'), { recursive: true });
  await mkdir(join(src, 'locked', 'inner'), { recursive: true });
  await writeFile(join(src, 'ok', 'a.txt'), 'a\n');
  await writeFile(join(src, 'locked', 'inner', 'b.txt'), 'b\n');
  await writeFile(join(src, 'c.txt'), 'c\n');
  if (asRoot) execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, box.dir]);
  await chmod(join(src, 'locked'), 0o000);
});

const refused = '"src/locked": its contents are left out of the listing: permission denied (EACCES)';

describe('a folder that cannot be read, inside the tree a command walks', () => {
  it('ls -r lists everything else, names it (as typed) on stderr, and exits with the refusal', async () => {
    const r = await run(['ls', '-r', 'src']);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['c.txt', 'locked/', 'ok/', 'ok/a.txt']);
    expect(r.stderr.trim()).toBe(`[ufs] [local] list ${refused}`);
    expect(r.status).toBe(77);
    const json = await run(['ls', '-r', '--json', 'src']);
    expect(
      json
        .json<Array<{ name: string }>>()
        .map((e) => e.name)
        .sort(),
    ).toEqual(['c.txt', 'locked', 'ok', 'ok/a.txt']);
    expect(json.status).toBe(77);
  });

  it('cp copies everything else and counts it as failed', async () => {
    const r = await run(['cp', 'src', 'dst']);
    expect(r.stdout).toContain('copied 2 files');
    expect(r.stdout).toContain('failed 1');
    expect(r.stderr).toContain(refused);
    expect(r.status).toBe(77);
    expect((await readdir(join(box.dir, 'dst'), { recursive: true })).sort()).toEqual(['c.txt', 'ok', 'ok/a.txt']);
  });

  it('mv moves everything else, counts it as failed once, and it stays with the folder above it', async () => {
    const r = await run(['mv', 'src', 'dst']);
    expect(r.stdout).toContain('failed 1');
    expect(r.stderr.split(refused).length - 1).toBe(1);
    expect(r.status).toBe(77);
    expect((await readdir(join(box.dir, 'dst'), { recursive: true })).sort()).toEqual(['c.txt', 'ok', 'ok/a.txt']);
    expect(await readdir(src)).toEqual(['locked']);
  });

  it('rm -r removes everything else and names the entry it could not remove', async () => {
    const r = await run(['rm', '-r', 'src']);
    expect(r.stderr.trim()).toBe('[ufs] [local] delete "src/locked": permission denied (EACCES)');
    expect(r.status).toBe(77);
    expect(await readdir(src)).toEqual(['locked']);
  });

  it('scan --dry-run hashes everything else and counts it as a failure', async () => {
    const r = await run(['scan', '--dry-run', '--no-cache', '--json', 'src']);
    const { stats } = r.json<{ stats: { files: number; hashed: number; failed: number } }>();
    expect(stats).toMatchObject({ files: 2, hashed: 2, failed: 1 });
    expect(r.stderr).toContain('scan "');
    expect(r.stderr).toContain('/src/locked": permission denied (EACCES)');
    // In a scan 77 is the server refusing the API key: a local file or folder it cannot read exits 66 (EX_NOINPUT).
    expect(r.status).toBe(66);
  });
});

describe('a folder the user may not write', () => {
  // `ro` belongs to root (the owner of the sandbox when not root: then mode 555 refuses the writes).
  beforeEach(async () => {
    const ro = join(box.dir, 'ro');
    await mkdir(ro, { recursive: true });
    await writeFile(join(ro, 'r.txt'), 'r\n');
    if (asRoot) execFileSync('chown', ['-R', '0:0', ro]);
    await chmod(ro, 0o555);
    await mkdir(join(box.dir, 'dst'), { recursive: true });
    if (asRoot) execFileSync('chown', [`${NOBODY}:${NOBODY}`, join(box.dir, 'dst')]);
  });
  afterAll(() => chmod(join(box.dir, 'ro'), 0o755));

  it('cp and mv into it name the destination that refused, and the source stays', async () => {
    const cp = await run(['cp', 'src/c.txt', 'ro/']);
    expect(cp.stderr).toContain('[ufs] copy "src/c.txt" → "ro/c.txt": [local] write "ro/c.txt": permission denied');
    expect(cp.status).toBe(77);
    const mv = await run(['mv', 'src/c.txt', 'ro/']);
    expect(mv.stderr).toContain('[ufs] move "src/c.txt" → "ro/c.txt": [local] write "ro/c.txt": permission denied');
    expect(mv.status).toBe(77);
    expect((await readdir(join(box.dir, 'ro'))).sort()).toEqual(['r.txt']);
    expect(await readdir(src)).toContain('c.txt');
  });

  it('mv out of it names the source that cannot leave', async () => {
    const mv = await run(['mv', 'ro/r.txt', 'dst/']);
    expect(mv.stderr).toContain('[ufs] move "ro/r.txt" → "dst/r.txt": [local] rename "ro/r.txt": permission denied');
    expect(mv.status).toBe(77);
    expect(await readdir(join(box.dir, 'dst'))).toEqual([]);
  });
});

describe('a file the user may not read', () => {
  it('upload names the file as the upload that failed (77), before any provider is asked', async () => {
    const secret = join(box.dir, 'secret.txt');
    await writeFile(secret, 'secret\n');
    if (asRoot) execFileSync('chown', [`${NOBODY}:${NOBODY}`, secret]);
    await chmod(secret, 0o000);
    const r = await run(['upload', '-p', '0x0', 'secret.txt']);
    expect(r.stderr.trim()).toBe('[ufs] upload "secret.txt": permission denied (EACCES)');
    expect(r.stdout).toBe('\n');
    expect(r.status).toBe(77);
  });
});
