import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, freePorts, waitUntil } from '../src/index.js';
import { rejection } from './rejection.js';

function listen(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      resolve(() => new Promise((done) => server.close(() => done()))),
    );
  });
}

describe('freePort', () => {
  test('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(1023);
    expect(port).toBeLessThan(65536);
    const close = await listen(port);
    await close();
  });

  test('freePorts returns distinct bindable ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    const closers = await Promise.all(ports.map(listen));
    await Promise.all(closers.map((close) => close()));
  });
});

describe('waitUntil', () => {
  test('returns the first ready value', async () => {
    let calls = 0;
    const value = await waitUntil(() => (++calls >= 3 ? `ready after ${calls}` : undefined), {
      service: 'demo',
      what: 'get ready',
      intervalMs: 5,
    });
    expect(value).toBe('ready after 3');
  });

  test('times out with the service name, the last error and the log tail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ufs-wait-test-'));
    try {
      const logFile = join(dir, 'demo.log');
      writeFileSync(logFile, `${Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n')}\n`);
      const started = Date.now();
      const error = await rejection(
        waitUntil(
          () => {
            throw new Error('connection refused');
          },
          { service: 'demo-daemon', what: 'answer', timeoutMs: 200, intervalMs: 20, logFiles: [logFile] },
        ),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(error.message).toMatch(/^demo-daemon did not answer within 200 ms \(last: connection refused\)/);
      expect(error.message).toContain(`--- last 30 lines of ${logFile} ---`);
      expect(error.message).toContain('line 39');
      expect(error.message).not.toContain('line 9\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('abortIf stops the wait at once with its reason', async () => {
    const error = await rejection(
      waitUntil(() => false, {
        service: 'demo',
        what: 'start',
        timeoutMs: 60_000,
        abortIf: () => 'demo exited (exit code 1)',
      }),
    );
    expect(error.message).toBe('demo failed before it could start: demo exited (exit code 1)');
  });
});
