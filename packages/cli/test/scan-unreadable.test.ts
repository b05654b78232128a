import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// A local file or folder the scan cannot read (permission denied) fails alone, as an input that cannot be read: exit
// 66 (EX_NOINPUT, as a file gone), not 77, which in a scan says the server refused the API key (and stops it). The
// scan runs as `nobody` (runuser): root reads any file whatever its mode.

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string; context: { path?: string } }>;
  error?: { code: string; exitCode: number };
}

const RUNUSER = '/usr/sbin/runuser';
const asNobody = process.getuid?.() === 0 && existsSync(RUNUSER);

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;

beforeAll(async () => {
  box = await sandbox();
  // nobody reaches the trees (and the sandbox's HOME, which it only reads)
  await chmod(box.dir, 0o755);
  server = await serve([], box.env);
});
afterAll(async () => {
  await server?.stop();
  await box?.cleanup();
});

async function tree(name: string, files: Record<string, string>): Promise<string> {
  const root = join(box.dir, name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(join(root, file, '..'), { recursive: true });
    await writeFile(join(root, file), content);
  }
  return root;
}

function scanAsNobody(hostname: string, root: string, apiKey = server.apiKey!) {
  return ufs(['scan', '--hostname', hostname, '--no-cache', '--json', root], {
    env: { ...box.env, UFS_SERVER: server.url, UFS_API_KEY: apiKey },
    wrap: (argv) => [RUNUSER, '-u', 'nobody', '--', ...argv],
    timeoutMs: 30_000,
  });
}

async function contentOf(hostname: string): Promise<Record<string, boolean>> {
  const res = await fetch(`${server.url}/files?hostname=${hostname}&limit=1000`, {
    headers: { 'x-api-key': server.apiKey! },
  });
  const items = ((await res.json()) as { items: Array<{ filepath: string; has_file_content: boolean }> }).items;
  return Object.fromEntries(items.map((r) => [r.filepath, r.has_file_content]));
}

(asNobody ? describe : describe.skip)('ufs scan: unreadable local files and folders (as nobody)', () => {
  it('an unreadable file and an unreadable folder fail alone, exit 66; the others are catalogued', async () => {
    const root = await tree('both', { 'ok.txt': 'ok both\n', 'secret.txt': 'secret\n', 'locked/inner.txt': 'in\n' });
    await chmod(join(root, 'secret.txt'), 0o600);
    await chmod(join(root, 'locked'), 0o700);
    const run = await scanAsNobody('both', root);
    expect(run.status).toBe(66);
    const out = run.json<ScanJson>();
    expect(out.error).toBeUndefined();
    expect(out.stats).toMatchObject({ sent: 1, uploaded: 1, failed: 2 });
    expect(out.failures.map((f) => [f.code, f.context.path]).sort()).toEqual([
      ['PERMISSION_DENIED', join(root, 'locked')],
      ['PERMISSION_DENIED', join(root, 'secret.txt')],
    ]);
    for (const f of out.failures) expect(f.message).toMatch(/permission denied \(EACCES\)/);
    expect(await contentOf('both')).toEqual({ [join(root, 'ok.txt')]: true });
  });

  it('one unreadable file alone exits 66 too; a bad API key is what exits 77', async () => {
    const root = await tree('one', { 'ok.txt': 'ok one\n', 'secret.txt': 'secret\n' });
    await chmod(join(root, 'secret.txt'), 0o000);
    const run = await scanAsNobody('one', root);
    expect(run.status).toBe(66);
    expect(run.json<ScanJson>().failures).toEqual([
      expect.objectContaining({
        code: 'PERMISSION_DENIED',
        context: expect.objectContaining({ path: join(root, 'secret.txt') }),
      }),
    ]);
    const badKey = await scanAsNobody('one', root, 'not-a-key');
    expect(badKey.status).toBe(77);
    expect(badKey.json<ScanJson>().error).toMatchObject({ code: 'PERMISSION_DENIED', exitCode: 77 });
  });
});
