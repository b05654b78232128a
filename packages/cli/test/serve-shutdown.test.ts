// `ufs serve --shutdown-timeout` (env UFS_SHUTDOWN_TIMEOUT_SECONDS, as apps/api): on SIGTERM the server drains, and a
// request in flight gets that long before its connection is closed; a second signal stops it at once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;

beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => {
  await box.cleanup();
});

/** A request whose body never ends (its headers are in, so the server counts it as under way). */
async function requestInFlight(server: Served): Promise<Socket> {
  const { port, hostname } = new URL(server.url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  socket.write(
    `POST /put_file HTTP/1.1\r\nHost: ${hostname}\r\nX-API-Key: ${server.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
  );
  // Time for the server to read the headers.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return socket;
}

/** SIGTERM with a request in flight: the seconds until the process ended, and its status. */
async function stopWithRequestInFlight(server: Served): Promise<{ seconds: number; status: number | null }> {
  const socket = await requestInFlight(server);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const started = Date.now();
  const status = await server.stop();
  await closed;
  return { seconds: (Date.now() - started) / 1000, status };
}

describe('ufs serve --shutdown-timeout', () => {
  it('--shutdown-timeout 1: a request in flight is cut after half a second, then the server ends (0)', async () => {
    const server = await serve(['--data-dir', join(box.dir, 'flag'), '--shutdown-timeout', '1'], box.env);
    const { seconds, status } = await stopWithRequestInFlight(server);
    expect(status).toBe(0);
    // The drain ends within the timeout: the end of it (here half of 1 s) is for the handlers to settle.
    expect(seconds).toBeGreaterThanOrEqual(0.45);
    expect(seconds).toBeLessThan(8);
  });

  it('env UFS_SHUTDOWN_TIMEOUT_SECONDS=0 when the flag is not typed: no wait (the default would be 25 s)', async () => {
    const server = await serve(['--data-dir', join(box.dir, 'env')], { ...box.env, UFS_SHUTDOWN_TIMEOUT_SECONDS: '0' });
    const { seconds, status } = await stopWithRequestInFlight(server);
    expect(status).toBe(0);
    expect(seconds).toBeLessThan(8);
  });

  it('the flag wins over env; a second SIGTERM stops at once (143) while requests drain', async () => {
    const server = await serve(['--data-dir', join(box.dir, 'second'), '--shutdown-timeout', '600'], {
      ...box.env,
      UFS_SHUTDOWN_TIMEOUT_SECONDS: '0',
    });
    const socket = await requestInFlight(server);
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) =>
      server.child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
    );
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Still draining (the env's 0 would have ended it by now).
    expect(server.child.exitCode).toBeNull();
    server.child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect((Date.now() - started) / 1000).toBeLessThan(8);
    expect(server.stderr()).toContain('SIGTERM again: stopping at once');
    socket.destroy();
  });

  it.each([
    ['-1', 'Expected an integer greater than or equal to 0 but received: -1'],
    ['3601', 'Expected an integer less than or equal to 3600 but received: 3601'],
    ['soon', 'Expected an integer but received: soon'],
  ])('--shutdown-timeout %s: 64 naming the flag, nothing created', async (value, message) => {
    const dir = join(box.dir, `bad-${value}`);
    const run = await ufs(['serve', '--port', '0', '--data-dir', dir, '--shutdown-timeout', value], { env: box.env });
    expect({ status: run.status, stdout: run.stdout, lines: run.stderr.trim().split('\n').length }).toEqual({
      status: 64,
      stdout: '',
      lines: 1,
    });
    expect(run.stderr).toContain(message);
    expect(existsSync(dir)).toBe(false);
  });

  it('env UFS_SHUTDOWN_TIMEOUT_SECONDS out of range: 78 naming the variable', async () => {
    const dir = join(box.dir, 'bad-env');
    const run = await ufs(['serve', '--port', '0', '--data-dir', dir], {
      env: { ...box.env, UFS_SHUTDOWN_TIMEOUT_SECONDS: '3601' },
    });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr.trim() }).toEqual({
      status: 78,
      stdout: '',
      stderr:
        '[ufs] env UFS_SHUTDOWN_TIMEOUT_SECONDS must be whole seconds from 0 to 3600, got "3601" (or type --shutdown-timeout)',
    });
    expect(existsSync(dir)).toBe(false);
  });

  it('--help says what SIGTERM/Ctrl-C do and for how long', async () => {
    const help = await ufs(['serve', '--help'], { env: box.env });
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain(
      '--shutdown-timeout=<value> Seconds the shutdown on SIGTERM/SIGINT may take, the requests in flight finishing in all but its last fifth',
    );
    expect(text).toContain('ends within --shutdown-timeout seconds (default 25)');
    expect(text).toContain('UFS_SHUTDOWN_TIMEOUT_SECONDS');
    expect(text).toContain('SIGTERM or SIGINT (Ctrl-C) stops it cleanly');
    expect(text).toContain('a second signal stops it at once');
  });
});
