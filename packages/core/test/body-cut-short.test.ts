// A download whose connection ends before the whole body came: fetch's "terminated" with undici's
// UND_ERR_RES_CONTENT_LENGTH_MISMATCH (a `Connection: close` answer) was UNEXPECTED (exit 70, not retried), and a
// clean close (FIN) of a keep-alive answer read as "socket error (UND_ERR_SOCKET)". Both are UNAVAILABLE, retryable,
// saying the server closed the connection; a real reset keeps "connection reset by peer". The AWS SDK's handler
// renames a reset `TimeoutError`: it is named by its code, not "timed out", unless a timeout really fired.
import { describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { toUfsError } from '../src/index.js';

/** A server answering `Content-Length: 100` with 50 bytes, then ending the connection as `how` says. */
async function cutServer(how: 'close' | 'keep-alive' | 'reset') {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      const close = how === 'close' ? 'Connection: close\r\n' : '';
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n${close}\r\n${'x'.repeat(50)}`);
      // A moment for the client to read the head first (a reset that overtakes it would fail the request instead).
      setTimeout(() => (how === 'reset' ? socket.resetAndDestroy() : socket.end()), 50);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/f`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The error of reading the whole body of `url` with fetch. */
async function readError(url: string): Promise<unknown> {
  try {
    const answer = await fetch(url);
    await answer.arrayBuffer();
  } catch (err) {
    return err;
  }
  throw new Error('the body was read whole');
}

const context = { backend: 'http', operation: 'read', path: 'web:f' };

describe('a body cut short (real sockets)', () => {
  it('a Connection: close answer ended early is UNAVAILABLE, retryable, saying so', async () => {
    const server = await cutServer('close');
    try {
      const err = await readError(server.url);
      expect((err as Error).message).toBe('terminated');
      const error = toUfsError(err, context);
      expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
      expect(error.message).toBe(
        '[ufs] [http] read "web:f": the server closed the connection before the whole body arrived (UND_ERR_RES_CONTENT_LENGTH_MISMATCH)',
      );
    } finally {
      await server.close();
    }
  });

  it('names how much came where the error says it', async () => {
    const server = await cutServer('close');
    try {
      const err = await readError(server.url);
      const counted = Object.assign(new Error('read cut short', { cause: err }), { received: 50, expected: 100 });
      const error = toUfsError(counted, context);
      expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
      expect(error.message).toBe(
        '[ufs] [http] read "web:f": connection closed after 50 of 100 bytes (UND_ERR_RES_CONTENT_LENGTH_MISMATCH)',
      );
    } finally {
      await server.close();
    }
  });

  it('a clean close (FIN) of a keep-alive answer: "the server closed the connection", not a socket error', async () => {
    const server = await cutServer('keep-alive');
    try {
      const error = toUfsError(await readError(server.url), context);
      expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
      expect(error.message).toBe('[ufs] [http] read "web:f": the server closed the connection (UND_ERR_SOCKET)');
    } finally {
      await server.close();
    }
  });

  it('a real reset stays "connection reset by peer"', async () => {
    const server = await cutServer('reset');
    try {
      const error = toUfsError(await readError(server.url), context);
      expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
      expect(error.message).toMatch(/^\[ufs\] \[http\] read "web:f": connection reset by peer.* \(ECONNRESET\)$/);
    } finally {
      await server.close();
    }
  });
});

describe('TimeoutError of the AWS SDK handler (pure classification)', () => {
  // @smithy/node-http-handler rejects with the socket's own error renamed: Object.assign(err, { name: 'TimeoutError' }).
  const renamed = (message: string, code: string) => Object.assign(new Error(message), { code, name: 'TimeoutError' });

  it('a reset or broken pipe is named by its code, not "timed out"', () => {
    const reset = toUfsError(renamed('read ECONNRESET', 'ECONNRESET'), { provider: 's3', operation: 'upload' });
    expect(reset).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(reset.message).toBe('[ufs] [s3] upload: connection reset by peer (ECONNRESET)');
    const pipe = toUfsError(renamed('write EPIPE', 'EPIPE'), { provider: 's3', operation: 'upload' });
    expect(pipe.message).toBe('[ufs] [s3] upload: broken pipe (EPIPE)');
  });

  it('a timeout that really fired stays TIMEOUT', () => {
    expect(toUfsError(renamed('connect ETIMEDOUT', 'ETIMEDOUT')).code).toBe('TIMEOUT');
    const socketTimeout = Object.assign(new Error('the request socket timed out after 10 ms of inactivity'), {
      name: 'TimeoutError',
    });
    expect(toUfsError(socketTimeout)).toMatchObject({ code: 'TIMEOUT', message: '[ufs] timed out' });
  });
});
