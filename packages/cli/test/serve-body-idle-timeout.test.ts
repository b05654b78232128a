// `ufs serve --body-idle-timeout SECONDS` (env UFS_BODY_IDLE_TIMEOUT_SECONDS, as apps/api; default 90): an upload body
// that sends no byte for that long has its connection closed, and a tus PATCH keeps what arrived. A real `ufs serve`,
// raw sockets for the stalled bodies.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
const running: Served[] = [];

beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => {
  for (const server of running) await server.stop();
  await box.cleanup();
});

async function started(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const server = await serve(args, { ...box.env, ...env });
  running.push(server);
  return server;
}

/**
 * A tus upload of 10,000 bytes whose PATCH sends 1,000 and then nothing: the seconds until the server closed the
 * connection (at most `waitMs`), and the offset the server reports after.
 */
async function stalledPatch(server: Served, waitMs: number): Promise<{ seconds: number; offset: string | null }> {
  const headers = { 'x-api-key': server.apiKey!, 'tus-resumable': '1.0.0' };
  const created = await fetch(`${server.url}/tus`, {
    method: 'POST',
    headers: { ...headers, 'upload-length': '10000', 'upload-metadata': `sha256 ${btoa('a'.repeat(64))}` },
  });
  expect(created.status).toBe(201);
  const location = new URL(created.headers.get('location')!, server.url);
  const socket = connect(Number(location.port), location.hostname);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const begun = Date.now();
  socket.write(
    `PATCH ${location.pathname} HTTP/1.1\r\nHost: ${location.host}\r\nX-API-Key: ${server.apiKey}\r\n` +
      'Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n' +
      `Content-Length: 10000\r\n\r\n${'x'.repeat(1000)}`,
  );
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, waitMs))]);
  const seconds = (Date.now() - begun) / 1000;
  socket.destroy();
  // The server keeps the bytes of a PATCH cut short (written once its connection is gone).
  await new Promise((resolve) => setTimeout(resolve, 300));
  const head = await fetch(location, { method: 'HEAD', headers });
  return { seconds, offset: head.headers.get('upload-offset') };
}

describe('ufs serve --body-idle-timeout', () => {
  it('--body-idle-timeout 1: a PATCH body that stalls is cut after about a second, its bytes kept', async () => {
    const server = await started(['--data-dir', join(box.dir, 'flag'), '--body-idle-timeout', '1']);
    const { seconds, offset } = await stalledPatch(server, 20_000);
    expect(seconds).toBeGreaterThanOrEqual(0.9);
    expect(seconds).toBeLessThan(6);
    expect(offset).toBe('1000');
  });

  it('env UFS_BODY_IDLE_TIMEOUT_SECONDS=1 when the flag is not typed (the default would be 90 s)', async () => {
    const server = await started(['--data-dir', join(box.dir, 'env')], { UFS_BODY_IDLE_TIMEOUT_SECONDS: '1' });
    const { seconds } = await stalledPatch(server, 20_000);
    expect(seconds).toBeLessThan(6);
  });

  it('the flag wins over the environment', async () => {
    const server = await started(['--data-dir', join(box.dir, 'both'), '--body-idle-timeout', '1'], {
      UFS_BODY_IDLE_TIMEOUT_SECONDS: '600',
    });
    const { seconds } = await stalledPatch(server, 20_000);
    expect(seconds).toBeLessThan(6);
  });

  it.each([
    ['0', 'Expected an integer greater than or equal to 1 but received: 0'],
    ['86401', 'Expected an integer less than or equal to 86400 but received: 86401'],
    ['soon', 'Expected an integer but received: soon'],
  ])('--body-idle-timeout %s: 64 naming the flag, nothing created', async (value, message) => {
    const dir = join(box.dir, `bad-${value}`);
    const run = await ufs(['serve', '--port', '0', '--data-dir', dir, '--body-idle-timeout', value], { env: box.env });
    expect({ status: run.status, stdout: run.stdout, lines: run.stderr.trim().split('\n').length }).toEqual({
      status: 64,
      stdout: '',
      lines: 1,
    });
    expect(run.stderr).toContain(message);
    expect(existsSync(dir)).toBe(false);
  });

  it.each(['0', '86401', '1.5', 'soon'])('env UFS_BODY_IDLE_TIMEOUT_SECONDS=%s: 78 naming the variable', async (v) => {
    const dir = join(box.dir, `bad-env-${v}`);
    const run = await ufs(['serve', '--port', '0', '--data-dir', dir], {
      env: { ...box.env, UFS_BODY_IDLE_TIMEOUT_SECONDS: v },
    });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr.trim() }).toEqual({
      status: 78,
      stdout: '',
      stderr: `[ufs] env UFS_BODY_IDLE_TIMEOUT_SECONDS must be whole seconds from 1 to 86400, got "${v}" (or type --body-idle-timeout)`,
    });
    expect(existsSync(dir)).toBe(false);
  });

  it('--help describes the flag, its variable and default, with an example', async () => {
    const help = await ufs(['serve', '--help'], { env: box.env });
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain("--body-idle-timeout=<value> Seconds a request's body may send no byte");
    expect(text).toContain('any other (a JSON body) is answered 408');
    expect(text).toContain('default: env UFS_BODY_IDLE_TIMEOUT_SECONDS, as for the ufs API server, else 90');
    expect(text).toContain('ufs serve --body-idle-timeout 300');
  });
});
