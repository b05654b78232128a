// An aborted write to GCS (Ctrl-C during `ufs cp`), in a child process against the local fake of the GCS JSON API
// (real sockets on 127.0.0.1): the write rejects with ABORTED, no object is made, and the process exits by itself
// after `dispose()` — the SDK's upload stream, when destroyed, never cancelled its HTTP request, whose connection
// then kept the process alive until the server gave up. Aborted once the request that makes the object has been sent
// whole (the server answers while the abort is under way), the write reports the object made, not "aborted".
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGcsFixture, type GcsFixture } from './fakes/gcs-fixture.js';
import { tempDir } from './helpers.js';

const MiB = 1024 * 1024;
let fixture: GcsFixture;
let dir: { path: string; cleanup: () => Promise<void> };
let script: string;

/**
 * The child: mounts `g` (gcs) with the given options, writes `size` bytes to `key` through `node.write` with a signal
 * (declaring the size with `declareSize`), aborts when `abortAt` bytes have gone by (onProgress) or when a line
 * `abort` comes on stdin, prints the outcome, disposes the storage and prints `done <time>`; then it must exit by
 * itself.
 */
const CHILD = (source: string) => `import { Readable } from 'node:stream';
const { StorageManager } = await import(${JSON.stringify(source)});
const { mount, key, size, abortAt, declareSize } = JSON.parse(process.argv[2]);
const storage = new StorageManager();
await storage.configure([{ name: 'g', protocol: 'gcs', ...mount }]);
const controller = new AbortController();
process.stdin.on('data', (line) => { if (String(line).includes('abort')) controller.abort(); });
process.stdin.unref?.();
const block = Buffer.alloc(256 * 1024, 7);
async function* content() {
  for (let at = 0; at < size; at += block.length) yield block.subarray(0, Math.min(block.length, size - at));
}
const onProgress = (loaded) => {
  if (abortAt !== undefined && loaded >= abortAt && !controller.signal.aborted) controller.abort();
};
const options = { signal: controller.signal, onProgress, ...(declareSize ? { size } : {}) };
try {
  const written = await storage.node('g:' + key).write(Readable.from(content()), options);
  console.log('written ' + written.size);
} catch (err) {
  console.log('rejected ' + err.code + ' ' + err.message);
}
await storage.dispose();
process.stdin.destroy();
console.log('done ' + Date.now());
`;

interface ChildRun {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  /** Resolves once the child has exited by itself: what it printed, and how long after `done` it exited. */
  exited: Promise<{ output: string; exitedAfterMs: number }>;
}

function runChild(args: {
  mount: Record<string, unknown>;
  key: string;
  size: number;
  abortAt?: number;
  declareSize?: boolean;
}): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ output: string; exitedAfterMs: number }>((resolve) => {
    child.once('exit', () => {
      const done = Number(/done (\d+)/.exec(output)?.[1]);
      resolve({ output, exitedAfterMs: Date.now() - done });
    });
  });
  return { child, output: () => output, exited };
}

/** Waits for the child to exit by itself within `limitMs` (else kills it and fails). */
async function exitsBySelf(run: ChildRun, limitMs = 20_000): Promise<{ output: string; exitedAfterMs: number }> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), limitMs);
  const result = await run.exited;
  clearTimeout(timer);
  expect(result.output).toMatch(/done \d+/);
  // Left running (an HTTP request still open), it would have been killed: no exit time is then reasonable.
  expect(result.exitedAfterMs).toBeLessThan(3000);
  return result;
}

/**
 * A proxy in front of the fake that holds the answer to a request that makes an object (a resumable upload's last
 * request): the fake has made the object, the client has not heard so yet. `onHeld` runs then; `release` sends it.
 */
async function holdingProxy(target: string) {
  const sockets = new Set<Socket>();
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const state = { held: 0, onHeld: () => {} };
  const server = createServer((req, res) => {
    const url = new URL(target);
    const upstream = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.url, headers: req.headers },
      (answer: IncomingMessage) => {
        const range = /^bytes (\d+)-(\d+|\*)\/(\d+|\*)$/.exec(String(req.headers['content-range'] ?? ''));
        const last = range && (range[2] === '*' || Number(range[2]) + 1 === Number(range[3]));
        const relay = () => {
          // The resumable session's URL names the fake: its requests come here too.
          const headers = { ...answer.headers };
          if (headers.location) headers.location = headers.location.replace(target, endpoint);
          res.writeHead(answer.statusCode ?? 500, headers);
          answer.pipe(res);
        };
        if (req.method === 'PUT' && last && answer.statusCode === 200) {
          state.held++;
          state.onHeld();
          void released.then(relay);
        } else relay();
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    endpoint,
    state,
    release: () => release(),
    close: async () => {
      release();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const mountOf = (extra: Record<string, unknown> = {}) => ({
  bucket: 'ufs-plain',
  apiEndpoint: fixture.base.apiEndpoint,
  projectId: fixture.base.projectId,
  credentials: fixture.base.credentials,
  ...extra,
});
const objectAt = (key: string) => fixture.fake.buckets.get('ufs-plain')!.objects.get(key);

beforeAll(async () => {
  fixture = await startGcsFixture();
  dir = await tempDir('ufs-gcs-abort-');
  script = join(dir.path, 'write.mts');
  await writeFile(script, CHILD(new URL('../src/index.ts', import.meta.url).href));
});

afterAll(async () => {
  await fixture?.close();
  await dir?.cleanup();
}, 30_000);

describe('gcs: a write aborted while its upload is under way', () => {
  const size = 24 * MiB;
  it.each([
    ['early (the first MiB)', MiB],
    ['half-way', size / 2],
    ['with every byte read from the source', size],
  ])(
    'aborted %s: ABORTED, no object, and the process exits by itself',
    async (_name, abortAt) => {
      const key = `abort/resumable-${abortAt}.bin`;
      const { output } = await exitsBySelf(runChild({ mount: mountOf(), key, size, abortAt }));
      expect(output).toContain(`rejected ABORTED [ufs] [gcs] write "g:${key}": aborted\n`);
      expect(objectAt(key)).toBeUndefined();
    },
    60_000,
  );

  it('a chunked upload (chunkSize) aborted between chunks: ABORTED, no object, the process exits', async () => {
    const key = 'abort/chunked.bin';
    const mount = mountOf({ chunkSize: 1024 * 1024 });
    const { output } = await exitsBySelf(runChild({ mount, key, size: 8 * MiB, abortAt: 5 * MiB }));
    expect(output).toContain('rejected ABORTED');
    expect(objectAt(key)).toBeUndefined();
  }, 60_000);

  it('a write of a declared size below resumableThreshold: ABORTED, no object, the process exits', async () => {
    const key = 'abort/small.bin';
    const run = runChild({ mount: mountOf(), key, size: 4 * MiB, abortAt: 2 * MiB, declareSize: true });
    const { output } = await exitsBySelf(run);
    expect(output).toContain('rejected ABORTED');
    expect(objectAt(key)).toBeUndefined();
  }, 60_000);
});

describe('gcs: a write aborted once its last request is out whole', () => {
  it.each([
    ['in one request', {}],
    ['in chunks', { chunkSize: 1024 * 1024 }],
  ])(
    '%s: the object the server made is reported written, not "aborted"',
    async (_name, extra) => {
      const proxy = await holdingProxy(fixture.base.apiEndpoint);
      try {
        const key = `abort/landed-${Object.keys(extra).length}.bin`;
        const size = 6 * MiB + 1000;
        const run = runChild({ mount: { ...mountOf(extra), apiEndpoint: proxy.endpoint }, key, size });
        proxy.state.onHeld = () => {
          run.child.stdin.write('abort\n');
          setTimeout(() => proxy.release(), 300);
        };
        const { output } = await exitsBySelf(run);
        expect(proxy.state.held).toBe(1);
        expect(output).toContain(`written ${size}\n`);
        expect(objectAt(key)).toBeDefined();
      } finally {
        await proxy.close();
      }
    },
    60_000,
  );
});
