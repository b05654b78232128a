import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from './helpers/server.js';

const run = promisify(execFile);
const CLIENT = fileURLToPath(new URL('./putplace/ppclient.py', import.meta.url));
// Debian's python3 with python3-httpx (scripts/install-test-deps.sh); the pyenv python does not see Debian packages.
const PYTHON = '/usr/bin/python3';

describe('a client written for PutPlace v0.6 works unchanged', () => {
  let server: TestServer;
  let folder: string;
  beforeAll(async () => {
    server = await startServer();
    folder = join(server.dir, 'scan');
    await mkdir(folder);
    await writeFile(join(folder, 'a.txt'), 'alpha\n');
    await writeFile(join(folder, 'b.bin'), Buffer.alloc(300_000, 3));
    await writeFile(join(folder, 'c-copy-of-a.txt'), 'alpha\n');
    await writeFile(join(folder, 'empty'), '');
  });
  afterAll(async () => server?.close());

  it('scans, uploads only missing content, reads records back and manages keys', async () => {
    const { stdout } = await run(PYTHON, [CLIENT, server.url, server.key, folder], { timeout: 60_000 });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toEqual({ files: 4, uploaded: 2, skipped: 2, health: 'healthy', keys: 'ok' });
    const listed = await server.store.listFiles({}, { limit: 10 });
    expect(listed.items).toHaveLength(4);
  });
});
