// A classified network error names where it could not get to: the host of a failed DNS lookup, the address and port
// of a refused connection, from the socket error at any depth (fetch wraps it in "fetch failed"), never credentials.
import { describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { toUfsError } from '../src/index.js';

/** A port nothing listens on (one that was just closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('network errors name the host (real sockets)', () => {
  it('a refused connection through fetch: address and port', async () => {
    const port = await closedPort();
    const err = await fetch(`http://127.0.0.1:${port}/x?token=secret`).catch((e: unknown) => e);
    const error = toUfsError(err, { provider: '0x0', operation: 'upload', path: 'a.txt' });
    expect(error.message).toBe(`[ufs] [0x0] upload "a.txt": connection refused: 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
  });

  it('a refused connection of a plain socket', async () => {
    const port = await closedPort();
    const socket = connect(port, '127.0.0.1');
    const [err] = (await once(socket, 'error').catch((e: unknown) => [e])) as [unknown];
    expect(toUfsError(err).message).toBe(`[ufs] connection refused: 127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('a host that does not exist: its name (a lookup has no port)', async () => {
    const err = await fetch('http://no-such-host.invalid:8000/').catch((e: unknown) => e);
    const error = toUfsError(err, { provider: 'ufs', operation: 'upload' });
    // Offline resolvers may answer EAI_AGAIN (a lookup that timed out) rather than ENOTFOUND: both name the host.
    expect(error.message).toMatch(
      /^\[ufs\] \[ufs\] upload: (host not found|DNS lookup timed out): no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN)\)$/,
    );
  });
});

describe('the host shown', () => {
  const error = (fields: Record<string, unknown>, code = 'ECONNREFUSED') =>
    toUfsError(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code, ...fields }) })).message;

  it('brackets an IPv6 address', () => {
    expect(error({ address: '::1', port: 8000 })).toBe('[ufs] connection refused: [::1]:8000 (ECONNREFUSED)');
  });

  it('takes the first attempt that names one, when both address families were tried', () => {
    const both = Object.assign(
      new AggregateError([
        Object.assign(new Error('a'), { code: 'ECONNREFUSED', address: '::1', port: 9 }),
        Object.assign(new Error('b'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9 }),
      ]),
      { code: 'ECONNREFUSED' },
    );
    expect(toUfsError(both).message).toBe('[ufs] connection refused: [::1]:9 (ECONNREFUSED)');
  });

  it('never shows credentials a library left in it', () => {
    expect(error({ hostname: 'bob:s3cret@files.example' }, 'ENOTFOUND')).toBe(
      '[ufs] host not found: files.example (ENOTFOUND)',
    );
    expect(error({ hostname: 'https://bob:s3cret@files.example/x?token=t' }, 'ENOTFOUND')).toBe(
      '[ufs] host not found: https://files.example/x?token=*** (ENOTFOUND)',
    );
  });

  it('is left out when the error does not say (a file error, a message without fields)', () => {
    expect(toUfsError(Object.assign(new Error('x'), { code: 'ENOENT', path: '/etc/x' })).message).toBe(
      '[ufs] no such file or directory (ENOENT)',
    );
    expect(
      toUfsError(Object.assign(new Error('connect ECONNREFUSED 1.2.3.4:5'), { code: 'ECONNREFUSED' })).message,
    ).toBe('[ufs] connection refused (ECONNREFUSED)');
  });

  it('as the README shows it', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
      address: '10.0.0.5',
      port: 8000,
    });
    expect(toUfsError(err).message).toBe('[ufs] connection refused: 10.0.0.5:8000 (ECONNREFUSED)');
  });
});
