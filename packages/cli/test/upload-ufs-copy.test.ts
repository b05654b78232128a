import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHostingFake, type HostingFake } from './fakes/hosting.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// The ufs provider's delete removes the server's record, not the bytes (they stay until `ufs server gc` finds them
// unused): after a failed verification, the note says so instead of "was deleted" (the URL may still serve).
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
  it('is said to have had its record deleted, its content staying until gc', async () => {
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
    expect(lines[0]).toMatch(
      /\(the uploaded copy http:\S+ had its record deleted; the content stays on the server until `ufs server gc` finds it unused\)$/,
    );
    expect(lines[0]).not.toContain('was deleted');
  });
});
