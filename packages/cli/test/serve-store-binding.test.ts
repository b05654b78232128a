// Data-loss paths of long-lived data folders, on real `ufs serve` processes: a store that is not its content's own (a
// typo in --data-dir beside the real --content, a store made anew) is refused at start, and its gc removes nothing
// without --force; a new data folder keeps a rollback guard that older versions cannot open; gc removes the empty
// `_tus/<id>/` folders older versions left.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => box.cleanup());

const bytes = Buffer.from('content of the real data folder\n');
const sha256 = createHash('sha256').update(bytes).digest('hex');
const objectPath = (content: string) => join(content, sha256.slice(0, 2), sha256);
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);

/** One record and its content, through the API. */
async function putOne(url: string, key: string): Promise<void> {
  const headers = { 'x-api-key': key, 'content-type': 'application/json' };
  const put = await fetch(`${url}/put_file`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      filepath: '/data/a.txt',
      hostname: 'host',
      ip_address: '10.0.0.1',
      sha256,
      file_size: bytes.length,
      file_mode: 0o100644,
      file_uid: 1000,
      file_gid: 1000,
      file_mtime: 1_700_000_000,
      file_atime: 1_700_000_000,
      file_ctime: 1_700_000_000,
    }),
  });
  expect(put.status).toBe(201);
  const upload = await fetch(`${url}/files/${sha256}/content`, {
    method: 'PUT',
    headers: { 'x-api-key': key, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  expect(upload.status).toBeLessThan(300);
}

/** The one line of a failed start (no URL, no key on stdout). */
function refusal(run: { stdout: string; stderr: string }): string {
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('ufs serve: a store bound to its content', () => {
  it('a typo in --data-dir beside the real content is refused; an empty store adopting it gc-deletes nothing without --force', async () => {
    const real = join(box.dir, 'real');
    const content = join(real, 'content');
    const first = await serve(['--data-dir', real], box.env);
    try {
      await putOne(first.url, first.apiKey!);
      // The marker is no content: gc of the store that owns the mount finds no orphan and keeps everything.
      const gc = await ufs(['server', 'gc', '--grace', '0', '--json', '-s', first.url, '-k', first.apiKey!], {
        env: box.env,
      });
      expect(gc.status).toBe(0);
      expect(gc.json()).toMatchObject({ orphansCount: 0, deletedCount: 0 });
      const verify = await ufs(['server', 'verify', '--json', '-s', first.url, '-k', first.apiKey!], { env: box.env });
      expect(verify.json()).toMatchObject({ checked: 1, ok: 1 });
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const marker = JSON.parse(await readFile(join(content, '_ufs-store.json'), 'utf8')) as { stores: string[] };
    expect(marker.stores).toHaveLength(1);
    // The rollback guard an older version cannot open, in place of the store file it would look for.
    expect(statSync(join(real, 'metadata.sqlite')).isDirectory()).toBe(true);
    // The store file ufs made is private; one made readable (as older versions made it) is warned about at start.
    expect(statSync(join(real, 'ufs.db')).mode & 0o777).toBe(0o600);
    await chmod(join(real, 'ufs.db'), 0o644);
    const again = await serve(['--data-dir', real], box.env);
    expect(await again.stop()).toBe(0);
    expect(again.stderr()).toContain(
      `[ufs] warning: the store file "${join(real, 'ufs.db')}" is readable by other users (mode 0644): it holds the URL-signing secret`,
    );

    // A typo: a new data folder, the real content.
    const typo = join(box.dir, 'typo');
    const refused = await ufs(['serve', '--port', '0', '--data-dir', typo, '--content', content], { env: box.env });
    expect(refused.status).toBe(78);
    expect(refusal(refused)).toMatch(
      new RegExp(
        `^\\[ufs\\] --content "${content}" belongs to another ufs store \\(store ${marker.stores[0]}; this store is [0-9a-f-]{36}\\): a typo in the data folder or a lost store\\? .* start once with --adopt-content \\(or UFS_ADOPT_CONTENT=true\\)$`,
      ),
    );
    expect(existsSync(objectPath(content))).toBe(true);

    // Adopted on purpose (UFS_ADOPT_CONTENT): the empty store's gc still removes nothing without --force.
    const adopted = await serve(['--data-dir', typo, '--content', content], { ...box.env, UFS_ADOPT_CONTENT: 'true' });
    try {
      const args = ['server', 'gc', '--grace', '0', '-s', adopted.url, '-k', adopted.apiKey!];
      const gc = await ufs(args, { env: box.env });
      expect(gc.status).toBe(64);
      expect(gc.stderr).toContain(
        'gc refused: the metadata store holds no content record, yet the content mount holds 1 objects gc would remove as orphans',
      );
      expect(existsSync(objectPath(content))).toBe(true);
      const forced = await ufs([...args, '--force', '--json'], { env: box.env });
      expect(forced.status).toBe(0);
      expect(forced.json()).toMatchObject({ orphansCount: 1 });
      expect(existsSync(objectPath(content))).toBe(false);
    } finally {
      await adopted.stop();
    }
  });

  it('gc removes the empty _tus/<id>/ folders older than the grace period, and only those', async () => {
    const data = join(box.dir, 'tus-folders');
    const server = await serve(['--data-dir', data], box.env);
    try {
      const tus = join(data, 'content', '_tus');
      const folders = {
        oldEmpty: join(tus, 'old-empty'),
        youngEmpty: join(tus, 'young-empty'),
        full: join(tus, 'full'),
      };
      for (const folder of Object.values(folders)) await mkdir(folder, { recursive: true });
      await writeFile(join(folders.full, 'part-0'), 'bytes');
      for (const folder of [folders.oldEmpty, folders.full]) await utimes(folder, hoursAgo(2), hoursAgo(2));
      const gc = await ufs(['server', 'gc', '-s', server.url, '-k', server.apiKey!], { env: box.env });
      expect(gc.status).toBe(0);
      expect([folders.oldEmpty, folders.youngEmpty, folders.full].map((folder) => existsSync(folder))).toEqual([
        false,
        true,
        true,
      ]);
    } finally {
      await server.stop();
      await rm(data, { recursive: true, force: true });
    }
  });
});
