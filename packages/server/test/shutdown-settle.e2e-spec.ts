// A drain that runs out while a tus PATCH is still receiving its body: the connection is closed at the deadline, and
// the PATCH keeps the bytes that arrived (as when its client goes away) — the store is closed only after its handler
// recorded them, so the upload's offset is those bytes, and nothing is logged as a server error.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

describe('shutdown: a drain that runs out during a tus PATCH', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    // Closed by the test: only the second store handle and the folder are left.
    await server?.store.close();
    server = undefined;
  });

  it('keeps the bytes that arrived (offset recorded before the store closes), no error logged', async () => {
    server = await startServer({ shutdownTimeoutMs: 300, shutdownSignals: false });
    const length = 4 * 1024 * 1024;
    const data = Buffer.alloc(length, 7);
    const { location } = await tusClient(server.url, server.key).create(sha256Of(data.toString()), length);
    expect(location).toBeTruthy();

    // The PATCH announces the whole upload, sends a quarter of it, then nothing: it is under way when the app closes.
    const sent = length / 4;
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `PATCH ${location} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${server.key}\r\nTus-Resumable: 1.0.0\r\n` +
        `Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: ${length}\r\n\r\n`,
    );
    socket.write(data.subarray(0, sent));
    const id = location!.split('/').pop()!;
    // Until the server has read the bytes: they are written to the upload's part as they come.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const errors: string[] = [];
    const error = Logger.prototype.error;
    const spy = function (this: Logger, message: unknown) {
      errors.push(String(message));
    };
    Logger.prototype.error = spy as typeof Logger.prototype.error;
    try {
      await server.app.close();
    } finally {
      Logger.prototype.error = error;
      socket.destroy();
    }

    const session = await server.store.getUpload(id);
    expect(session?.offset).toBe(sent);
    expect(errors).toEqual([]);
  }, 60_000);
});
