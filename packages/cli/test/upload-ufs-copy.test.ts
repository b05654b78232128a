import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHostingFake, type HostingFake } from './fakes/hosting.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// After a failed verification the ufs provider's record is kept, not deleted (@org/providers `keepOnFailure`: it
// describes the file truly, and deleting it left the path with no record at all): the note says the copy is still
// there, never "was deleted", and the path keeps its record.
let fake: HostingFake;
let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let env: Record<string, string>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

beforeAll(async () => {
  fake = await startHostingFake();
  box = await sandbox();
  server = await serve([], box.env);
  env = { ...box.env, ...fake.env, UFS_SERVER: server.url, UFS_API_KEY: server.apiKey ?? '' };
}, 60_000);
afterAll(async () => {
  await server.stop();
  await fake.close();
  await box.cleanup();
});

describe('a ufs copy that fails verification', () => {
  it('keeps its record, and is said to be still there', async () => {
    const file = join(box.dir, 'report.txt');
    await writeFile(file, 'the content of the report\n');
    const first = await ufs(['upload', '-p', 'ufs', file], { env });
    expect(first.status).toBe(0);
    // one byte of the stored content flipped: the server now serves other bytes than the file's
    const stored = filesUnder(join(server.dataDir, 'content')).filter((path) => statSync(path).size === 26);
    expect(stored).toHaveLength(1);
    const bytes = readFileSync(stored[0]!);
    bytes[0] = bytes[0]! ^ 1;
    writeFileSync(stored[0]!, bytes);

    const run = await ufs(['upload', '-p', 'ufs,catbox', '--retries', '1', file], { env });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^http:.*\/catbox\//);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ufs: failed: .*the URL serves different bytes/);
    expect(lines[0]).toMatch(/\(the uploaded copy http:\S+ is still there\)$/);
    expect(lines[0]).not.toMatch(/was deleted|record deleted/);
    // The path's record is there (it was deleted before: the path was left with none).
    const query = new URLSearchParams({ path_prefix: file });
    const listed = await fetch(`${server.url}/files?${query}`, { headers: { 'x-api-key': server.apiKey ?? '' } });
    const items = ((await listed.json()) as { items: Array<{ filepath: string }> }).items;
    expect(items.map((r) => r.filepath)).toEqual([file]);
  });
});
