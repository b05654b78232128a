import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, chown, lchown, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

// The `.ufsignore` files of the folders above a PATH decide what is scanned; as git's safe.directory refuses a
// repository another user owns, one owned neither by the scanning user nor by root is not used (a warning line on
// stderr, once, not a failure): another user cannot plant `*` in a shared 1777 folder above your files and make the
// scan skip them with exit 0. Files inside the scanned tree keep their rule. Real folders, real owners (as root).

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0 ? it : it.skip;

let box: Awaited<ReturnType<typeof sandbox>>;

interface ScanJson {
  stats: Record<string, number>;
}

beforeAll(async () => {
  box = await sandbox();
  // Other users reach the folders (the run as nobody walks them).
  await chmod(box.dir, 0o755);
});
afterAll(async () => {
  await box?.cleanup();
});

/** `shared/` (1777) holding `mine/f` and `mine/g`, and a `.ufsignore` "*" in shared owned by `owner`. */
async function sharedTree(name: string, owner: number): Promise<string> {
  const shared = join(box.dir, name, 'shared');
  await mkdir(join(shared, 'mine', 'sub'), { recursive: true });
  await chmod(shared, 0o1777);
  await writeFile(join(shared, 'mine', 'f'), 'f\n');
  await writeFile(join(shared, 'mine', 'sub', 'g'), 'g\n');
  await writeFile(join(shared, '.ufsignore'), '*\n');
  await chown(join(shared, '.ufsignore'), owner, owner);
  return shared;
}

const scan = (args: string[], wrap?: (argv: string[]) => string[]) =>
  ufs(['scan', '-n', '--no-cache', '--json', ...args], { env: box.env, timeoutMs: 30_000, ...(wrap ? { wrap } : {}) });

describe('ufs scan: .ufsignore files above a PATH owned by another user', () => {
  asRoot('are not used, said once on stderr (exit 0, every file scanned)', async () => {
    const shared = await sharedTree('planted', NOBODY);
    const run = await scan([join(shared, 'mine'), join(shared, 'mine', 'sub')]);
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 2, failed: 0 });
    const warnings = run.stderr.split('\n').filter((line) => line.startsWith('[ufs] warning:'));
    expect(warnings).toEqual([
      `[ufs] warning: "${join(shared, '.ufsignore')}" is not used: it is owned by uid ${NOBODY}, neither by you (uid 0) nor by root, and a .ufsignore above a PATH must be (another user could leave your files out)`,
    ]);
  });

  asRoot("are not used through another user's link to a file of root", async () => {
    const shared = join(box.dir, 'linked', 'shared');
    await mkdir(join(shared, 'mine'), { recursive: true });
    await writeFile(join(shared, 'mine', 'f'), 'f\n');
    await writeFile(join(box.dir, 'linked', 'rootfile'), '*\n');
    await symlink(join(box.dir, 'linked', 'rootfile'), join(shared, '.ufsignore'));
    await lchown(join(shared, '.ufsignore'), NOBODY, NOBODY);
    const run = await scan([join(shared, 'mine')]);
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 1 });
    expect(run.stderr).toMatch(/is not used: it is owned by uid 65534/);
  });

  asRoot("are used when root's (the scan leaves the PATH out, as before)", async () => {
    const shared = await sharedTree('rooted', 0);
    const run = await scan([join(shared, 'mine')]);
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 0 });
    expect(run.stderr).toBe('');
  });

  asRoot("inside the scanned tree keep today's rule: used whoever owns them", async () => {
    const shared = await sharedTree('inside', NOBODY);
    const run = await scan([shared]);
    expect(run.status).toBe(0);
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 0 });
    expect(run.stderr).toBe('');
  });

  asRoot("scanning as nobody: root's file and nobody's own are used", async () => {
    const asNobody = (argv: string[]) => ['runuser', '-u', 'nobody', '--', ...argv];
    const ofRoot = await sharedTree('nobody-root', 0);
    const run = await scan([join(ofRoot, 'mine')], asNobody);
    expect(run.stderr).toBe('');
    expect(run.json<ScanJson>().stats).toMatchObject({ files: 0 });
    const own = await sharedTree('nobody-own', NOBODY);
    const again = await scan([join(own, 'mine')], asNobody);
    expect(again.stderr).toBe('');
    expect(again.json<ScanJson>().stats).toMatchObject({ files: 0 });
  });
});
