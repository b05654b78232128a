// Two refusals that must not go wrong quietly:
// - `ufs serve --data-dir ''` (what `--data-dir "$DIR"` gives with DIR unset) used the default data folder
//   (~/.local/share/ufs) as if the flag had not been given; `--content ''` ended 78 with the mount's words
//   (`mount "content": "root": Too small…`). Both are now usage errors (64) naming the flag, and nothing is made.
// - Every error about the dedup server quoted `--server` with its user and password; the address is now shown as
//   core's redactUrl shows it (no `user:password@`). Real processes, a real closed port and a real node:http server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let odd: Server;
let oddPort: number;

beforeAll(async () => {
  box = await sandbox();
  // Answers 200 to everything, but not as a ufs or PutPlace server does.
  odd = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}'));
  });
  await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
  oddPort = (odd.address() as AddressInfo).port;
});
afterAll(async () => {
  odd?.closeAllConnections();
  await new Promise((resolve) => odd?.close(resolve));
  await box?.cleanup();
});

describe('ufs serve: an empty --data-dir or --content is a usage error naming the flag', () => {
  it("--data-dir '': 64, nothing made in the default data folder", async () => {
    const run = await ufs(['serve', '--port', '0', '--data-dir', ''], { env: box.env, timeoutMs: 30_000 });
    expect(run.status).toBe(64);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe('[ufs] --data-dir is empty: give a folder (an unset variable?)');
    expect(existsSync(join(box.env.XDG_DATA_HOME!, 'ufs'))).toBe(false);
  });

  it("--content '': 64 naming --content, not the mount's words", async () => {
    const data = join(box.dir, 'content-empty');
    const run = await ufs(['serve', '--port', '0', '--data-dir', data, '--content', ''], {
      env: box.env,
      timeoutMs: 30_000,
    });
    expect(run.status).toBe(64);
    expect(run.stderr.trim()).toBe('[ufs] --content is empty: give a folder or a storage URL (an unset variable?)');
    expect(existsSync(join(data, 'ufs.db'))).toBe(false);
  });
});

describe('errors about the dedup server never show the password of --server', () => {
  async function scan(server: string): Promise<{ status: number | null; text: string }> {
    const root = join(box.dir, `scan-${Math.random().toString(16).slice(2)}`);
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'a.txt'), 'a');
    const run = await ufs(['scan', '--no-cache', '--hostname', 'h', '--timeout', '10', '--server', server, root], {
      env: { ...box.env, UFS_API_KEY: 'k' },
      timeoutMs: 60_000,
    });
    return { status: run.status, text: run.stderr };
  }

  it('a server that is not there: the address without user:password', async () => {
    // A port just closed: nothing listens on it.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { status, text } = await scan(`http://bob:s3cret@127.0.0.1:${port}/ufs`);
    expect(status).not.toBe(0);
    expect(text).toContain(`http://127.0.0.1:${port}/ufs`);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('bob');
  });

  it('a server that answers, but not as a ufs server does: the same', async () => {
    const { status, text } = await scan(`http://bob:s3cret@127.0.0.1:${oddPort}/ufs`);
    expect(status).not.toBe(0);
    expect(text).toContain(`http://127.0.0.1:${oddPort}/ufs`);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('bob');
  });
});
