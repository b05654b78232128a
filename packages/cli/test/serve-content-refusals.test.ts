// `ufs serve --content <folder>` that can never be a content folder. `--content /proc/x` waited ~10 s (the mount's
// test write ran a recursive mkdir, which loops on /proc) and then ended 69 saying the storage "does not answer",
// while the API server refuses the same folder at once (78). The folder is now checked as the API server checks its
// own (ensureDataFolder) before the test write: refused at once, 78, naming --content and why. And a store file
// (<data-dir>/ufs.db) that SQLite cannot open is named (78) instead of "[sqlite] open: unable to open database file"
// (70). The folder without write permission is run as another user (uid 65534) when the tests run as root.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs, type Run } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;

beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => box.cleanup());

/** The one line of a failed start (no URL, no key on stdout, no stack). */
function refusal(run: Run): string {
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

/** `ufs serve` that must end within a few seconds (not after the 10 s deadline of the test write). */
async function quickServe(args: string[], options: Parameters<typeof ufs>[1] = {}): Promise<Run> {
  const started = Date.now();
  const run = await ufs(['serve', '--port', '0', ...args], { env: box.env, timeoutMs: 30_000, ...options });
  expect(Date.now() - started).toBeLessThan(8_000);
  return run;
}

describe('ufs serve --content: a folder that cannot be one is refused at once, 78, as the API server refuses it', () => {
  it('/proc/… (a path or a file:// URL): "cannot be created here", not "does not answer" after 10 s', async () => {
    for (const content of ['/proc/ufs-nope', 'file:///proc/ufs-nope']) {
      const data = join(box.dir, `proc-${content.length}`);
      const run = await quickServe(['--data-dir', data, '--content', content]);
      expect(run.status).toBe(78);
      expect(refusal(run)).toBe(
        `[ufs] --content "${content}" cannot be created here (the file system of the folder above takes no new folder)`,
      );
      expect(existsSync(join(data, 'ufs.db'))).toBe(false);
    }
  });

  it('below a file, or a dangling symbolic link: named as such, 78; a file itself stays a usage error (64)', async () => {
    const file = join(box.dir, 'a-file');
    await writeFile(file, 'x');
    const below = await quickServe(['--data-dir', join(box.dir, 'below'), '--content', join(file, 'content')]);
    expect(below.status).toBe(78);
    expect(refusal(below)).toBe(`[ufs] --content "${join(file, 'content')}" is below a file, not a folder`);

    const link = join(box.dir, 'dangling-content');
    await symlink(join(box.dir, 'nowhere'), link);
    const dangling = await quickServe(['--data-dir', join(box.dir, 'dangling'), '--content', link]);
    expect(dangling.status).toBe(78);
    expect(refusal(dangling)).toBe(
      `[ufs] --content "${link}" is a dangling symbolic link (to "${join(box.dir, 'nowhere')}"): create its target or remove the link`,
    );
    expect(existsSync(join(box.dir, 'nowhere'))).toBe(false);

    const itself = await quickServe(['--data-dir', join(box.dir, 'itself'), '--content', file]);
    expect(itself.status).toBe(64);
    expect(refusal(itself)).toBe(`[ufs] --content "${file}" is a file: give a folder or a storage URL`);
  });

  it('a folder without write permission (run as uid 65534 when the tests run as root): 78, "is not writable"', async () => {
    const asRoot = process.getuid?.() === 0;
    // A home of that user's own: the sandbox's folder is root's and private.
    const home = join(box.dir, 'other-user');
    await mkdir(join(home, 'data'), { recursive: true });
    const readOnly = join(home, 'read-only');
    await mkdir(readOnly);
    if (asRoot) {
      await chmod(box.dir, 0o755);
      for (const path of [home, join(home, 'data'), readOnly]) await chown(path, 65534, 65534);
    }
    await chmod(readOnly, 0o555);
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_DATA_HOME: join(home, 'xdg-data'),
      XDG_CACHE_HOME: join(home, 'cache'),
    };
    const wrap = asRoot
      ? (argv: string[]) => ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv]
      : undefined;
    for (const content of [readOnly, join(readOnly, 'sub')]) {
      const run = await quickServe(['--data-dir', join(home, 'data'), '--content', content], {
        env,
        ...(wrap && { wrap }),
      });
      expect(run.status).toBe(78);
      expect(refusal(run)).toBe(
        content === readOnly
          ? `[ufs] --content "${content}" is not writable: permission denied`
          : `[ufs] --content "${content}" cannot be created: permission denied`,
      );
    }
  });
});

describe('ufs serve: a store file SQLite cannot open is named, 78 (was "unable to open database file", 70)', () => {
  it('<data-dir>/ufs.db that is a folder, or a dangling symbolic link', async () => {
    const folder = join(box.dir, 'store-folder');
    await mkdir(join(folder, 'ufs.db'), { recursive: true });
    const run = await quickServe(['--data-dir', folder]);
    expect(run.status).toBe(78);
    expect(refusal(run)).toBe(
      `[ufs] [sqlite] the store file "${join(folder, 'ufs.db')}" is a folder, not a database file: move it away (or give another data folder)`,
    );
    // Refused before anything is made: no content folder beside it (it was made, and left, before the store's check).
    expect(existsSync(join(folder, 'content'))).toBe(false);

    const dangling = join(box.dir, 'store-dangling');
    await mkdir(dangling);
    await symlink(join(box.dir, 'no-store'), join(dangling, 'ufs.db'));
    const linked = await quickServe(['--data-dir', dangling]);
    expect(linked.status).toBe(78);
    expect(refusal(linked)).toBe(
      `[ufs] [sqlite] the store file "${join(dangling, 'ufs.db')}" is a dangling symbolic link (to "${join(box.dir, 'no-store')}"): create its target or remove the link`,
    );
    expect(existsSync(join(box.dir, 'no-store'))).toBe(false);
    expect(existsSync(join(dangling, 'content'))).toBe(false);
  });
});
