import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { BIN, sandbox, ufs } from './helpers/ufs.js';

// The `ufs` process exits as soon as its command is over and its output written: a library may leave a timer or a
// socket behind after a failure (the GCS SDK keeps its reply-body timer, connectTimeoutMs + timeoutMs, after a
// stalled JSON reply failed with TIMEOUT), and the process no longer waits for it. It still never cuts its output
// short: a large `ufs cat` into a slow reader delivers every byte before the exit. Real processes, a real node:http
// server that stalls every reply mid-body.

let box: Awaited<ReturnType<typeof sandbox>>;
let stall: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  box = await sandbox();
  // Every reply: 200, a JSON content type and length, 1000 bytes, then nothing (no end, no close).
  stall = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000000' });
    res.write(Buffer.alloc(1000, 32));
  });
  stall.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(stall.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => (stall ? stall.close(() => resolve()) : resolve()));
  await box?.cleanup();
});

describe('the ufs process ends with its command', () => {
  it('`ufs cat` of a GCS mount whose reply stalls: the error, its status, and the exit at once', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const credentials = {
      client_email: 'ufs-test@ufs-test.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    const config = join(box.dir, 'gcs.json');
    // The SDK's body timer of the last try runs connectTimeoutMs + timeoutMs = 30.5 s: the process held on that long.
    const mount = { protocol: 'gcs', bucket: 'ufs-plain', projectId: 'ufs-test', credentials, apiEndpoint: endpoint };
    await writeFile(config, JSON.stringify({ mounts: { g: { ...mount, timeoutMs: 500, connectTimeoutMs: 30_000 } } }));
    let errorAt = 0;
    const run = await ufs(['cat', '--config', config, 'g:a.txt'], {
      env: box.env,
      timeoutMs: 80_000,
      onSpawn: (child) => child.stderr!.once('data', () => (errorAt = Date.now())),
    });
    const exitedAfterMs = Date.now() - errorAt;
    expect(run.stderr).toBe(`[ufs] [gcs] read "g:a.txt": no answer from ${endpoint} for 500 ms (timeoutMs)\n`);
    expect(run.stdout).toBe('');
    expect(run.status).toBe(75);
    expect(errorAt).toBeGreaterThan(0);
    expect(exitedAfterMs).toBeLessThan(3000);
  }, 90_000);

  it('a large `ufs cat` into a slow reader delivers every byte, then exits 0', async () => {
    const bytes = randomBytes(24 * 1024 * 1024);
    const file = join(box.dir, 'large.bin');
    await writeFile(file, bytes);
    const child = spawn(process.execPath, [BIN, 'cat', file], {
      env: { PATH: process.env.PATH, ...box.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // A slow reader: 64 KiB at a time, a pause after each (about 2 s for the whole file).
    const hash = createHash('sha256');
    let received = 0;
    for await (const chunk of child.stdout) {
      hash.update(chunk as Buffer);
      received += (chunk as Buffer).length;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    expect(received).toBe(bytes.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  }, 60_000);
});
