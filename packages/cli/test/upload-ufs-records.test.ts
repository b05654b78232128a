import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHostingFake, type HostingFake } from './fakes/hosting.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// `ufs upload -p ufs` against a real `ufs serve`: the records it leaves on the server. A failed upload (over
// --max-upload) leaves the path's earlier record, so its URL survives `ufs server gc --grace 0`; stdin is recorded
// under the name "stdin" and a spooled /proc file under its own path and mode, never the temporary copy's path.
let fake: HostingFake;
let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let env: Record<string, string>;

interface Item {
  filepath: string;
  sha256: string;
  has_file_content: boolean;
  file_mode: number;
}

/** Every record on the server. */
async function records(): Promise<Item[]> {
  const res = await fetch(`${server.url}/files?limit=1000`, { headers: { 'x-api-key': server.apiKey ?? '' } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Item[] }).items;
}

beforeAll(async () => {
  fake = await startHostingFake();
  box = await sandbox();
  server = await serve(['--max-upload', '10000'], box.env);
  env = { ...box.env, ...fake.env, UFS_SERVER: server.url, UFS_API_KEY: server.apiKey ?? '' };
}, 60_000);
afterAll(async () => {
  await server.stop();
  await fake.close();
  await box.cleanup();
});

describe('ufs upload -p ufs: the server’s records', () => {
  it('a version refused by the server (413) leaves the earlier record: its URL still works after gc --grace 0', async () => {
    const file = join(box.dir, 'report.txt');
    await writeFile(file, 'version one of the report\n');
    const first = await ufs(['upload', '-p', 'ufs', file], { env });
    expect(first.status).toBe(0);
    const u1 = first.stdout.trim();
    const v1 = (await records()).find((r) => r.filepath === file)!;
    expect(v1.has_file_content).toBe(true);

    await writeFile(file, Buffer.alloc(20_000, 'x')); // v2, over --max-upload
    const second = await ufs(['upload', '-p', 'ufs,0x0', '--json', file], { env });
    expect(second.status).toBe(0);
    expect(second.stderr).toMatch(/^ufs: failed: .*413/m);
    const now = (await records()).filter((r) => r.filepath === file);
    expect(now).toEqual([expect.objectContaining({ sha256: v1.sha256, has_file_content: true })]);

    const gc = await ufs(['server', 'gc', '--grace', '0'], { env });
    expect(gc.status).toBe(0);
    const served = await fetch(u1);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe('version one of the report\n');
  });

  it('stdin is recorded as "stdin" (one record, however often), never the temporary copy', async () => {
    for (const text of ['piped\n', 'piped again\n']) {
      const run = await ufs(['upload', '-p', 'ufs', '-'], { env, input: text });
      expect(run.status).toBe(0);
    }
    const all = await records();
    expect(all.filter((r) => r.filepath === 'stdin')).toHaveLength(1);
    expect(all.filter((r) => /ufs-(stdin|spool)-/.test(r.filepath))).toEqual([]);
  });

  it('a /proc file is recorded under its own path, with its own mode', async () => {
    const run = await ufs(['upload', '-p', 'ufs', '/proc/self/status'], { env });
    expect(run.status).toBe(0);
    const all = await records();
    expect(all.filter((r) => /ufs-(stdin|spool)-/.test(r.filepath))).toEqual([]);
    expect(all.filter((r) => r.filepath === '/proc/self/status')).toEqual([
      expect.objectContaining({ file_mode: 0o100444 }),
    ]);
  });
});
