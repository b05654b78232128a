// The sftp backend on a bad network: the real sshd behind a TCP relay in this file that can stall its connections
// (hold every byte, both ways, as a dead link does) or reset them. An abort settles while the link is still stalled
// (not once the keepalive gives up); a write cut by an abort or a lost connection removes its partial upload, on a
// new connection when its own is gone, and names it when it cannot; `timeoutMs` ends requests that get no answer
// (TIMEOUT naming the server and the option), and bounds the SSH handshake.
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { StorageBackend } from '@org/core';
import definition from '../../src/backends/sftp/index.js';
import { StorageManager } from '../../src/index.js';
import { readAll, rejectsWith } from '../helpers.js';
import { blackhole } from '../net-faults.js';
import { sftpEndpoint } from '../services/sftp.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const sshd = await sftpEndpoint();
const base = realpathSync(mkdtempSync(join(tmpdir(), 'ufs-sftp-stall-')));
const remote = join(base, 'remote');
mkdirSync(remote);
writeFileSync(join(remote, 'big.bin'), Buffer.alloc(16 * MiB, 3));
writeFileSync(join(remote, 'a.txt'), 'here');

/** A relay on 127.0.0.1 to sshd that stalls or resets its connections on demand. */
interface StallingProxy {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Bytes the stalled connections hold, sent by the client. */
  readonly heldFromClient: number;
  /** Bytes the stalled connections hold, either way. */
  readonly held: number;
  /** Whether a stall is in effect. */
  readonly stalled: boolean;
  /** The open connections forward nothing more, either way, until `release()`; new ones too with `newToo`. */
  stall(newToo?: boolean): void;
  /** Forwards what was held, in order, and goes on as before. */
  release(): void;
  /** Resets every open connection (both sides). */
  resetAll(): void;
  /** Stops listening: new connections are refused. */
  refuse(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  stalled: boolean;
  held: { to: Socket; chunk: Buffer }[];
  sockets: Socket[];
}

async function stallingProxy(targetPort: number): Promise<StallingProxy> {
  const pairs = new Set<Pair>();
  let accepted = 0;
  let stalled = false;
  let stallNew = false;
  let listening = true;
  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const pair: Pair = { stalled: stallNew, held: [], sockets: [client, upstream] };
    pairs.add(pair);
    const relay = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (pair.stalled) pair.held.push({ to, chunk });
        else to.write(chunk);
      });
      from.on('error', () => undefined);
      from.on('close', () => {
        pairs.delete(pair);
        to.destroy();
      });
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as { port: number };
  const refuse = () => {
    if (!listening) return Promise.resolve();
    listening = false;
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    port,
    get accepted() {
      return accepted;
    },
    get heldFromClient() {
      let bytes = 0;
      for (const pair of pairs)
        for (const { to, chunk } of pair.held) if (to === pair.sockets[1]) bytes += chunk.length;
      return bytes;
    },
    get held() {
      let bytes = 0;
      for (const pair of pairs) for (const { chunk } of pair.held) bytes += chunk.length;
      return bytes;
    },
    get stalled() {
      return stalled;
    },
    stall(newToo = false) {
      stalled = true;
      stallNew = newToo;
      for (const pair of pairs) pair.stalled = true;
    },
    release() {
      stalled = false;
      stallNew = false;
      for (const pair of pairs) {
        pair.stalled = false;
        for (const { to, chunk } of pair.held.splice(0)) to.write(chunk);
      }
    },
    resetAll() {
      for (const pair of pairs) for (const socket of pair.sockets) socket.resetAndDestroy();
    },
    refuse,
    async close() {
      for (const pair of pairs) for (const socket of pair.sockets) socket.destroy();
      await refuse();
    },
  };
}

/** Waits (polling) until `done()` holds: a step of the scenario, not an assertion. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Endless bytes, 64 KiB at a time, until the write stops reading them. */
function endless(): Readable {
  return Readable.from(
    (async function* () {
      for (;;) yield Buffer.alloc(64 * KiB, 9);
    })(),
  );
}

function partials(): string[] {
  return readdirSync(remote).filter((name) => name.startsWith('.ufs-upload-'));
}

const opened: StorageBackend[] = [];
const proxies: StallingProxy[] = [];

async function mount(port: number, extra: Record<string, unknown> = {}): Promise<StorageBackend> {
  const options = definition.options.parse({
    host: '127.0.0.1',
    port,
    username: sshd.username,
    privateKeyPath: sshd.privateKeyPath,
    hostFingerprint: sshd.hostFingerprint,
    root: remote,
    keepaliveInterval: 0,
    ...extra,
  });
  const backend = await definition.create(options, { mountName: 'm', env: {} });
  opened.push(backend);
  return backend;
}

async function proxied(
  extra: Record<string, unknown> = {},
): Promise<{ proxy: StallingProxy; backend: StorageBackend }> {
  const proxy = await stallingProxy(sshd.port);
  proxies.push(proxy);
  return { proxy, backend: await mount(proxy.port, extra) };
}

/**
 * Settles `promise` while recording whether the stall was still in effect then. A stall is released anyway after
 * `safetyMs` (so that a write which only ends once the link answers again ends and the test reports it).
 */
async function settleDuringStall<T>(
  proxy: StallingProxy,
  promise: Promise<T>,
  safetyMs = 20_000,
): Promise<{ duringStall: boolean; error: unknown }> {
  const safety = setTimeout(() => proxy.release(), safetyMs);
  try {
    return await promise.then(
      () => ({ duringStall: proxy.stalled, error: undefined }),
      (error: unknown) => ({ duringStall: proxy.stalled, error }),
    );
  } finally {
    clearTimeout(safety);
  }
}

afterEach(async () => {
  for (const backend of opened.splice(0)) await backend.dispose?.();
  for (const proxy of proxies.splice(0)) await proxy.close();
  for (const name of partials()) rmSync(join(remote, name), { force: true });
}, 30_000);

afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await sshd.stop();
}, 30_000);

describe('sftp: an abort on a stalled connection', () => {
  it('settles an upload while the link is still stalled; its partial upload goes once the link answers', async () => {
    const { proxy, backend } = await proxied();
    const controller = new AbortController();
    let stalled = false;
    const progress: number[] = [];
    const writing = backend.write('up.bin', endless(), {
      signal: controller.signal,
      onProgress: (loaded) => {
        progress.push(loaded);
        if (loaded > MiB && !stalled) {
          stalled = true;
          proxy.stall();
        }
      },
    });
    writing.catch(() => undefined);
    // The server's acknowledgements are held: the write waits for them.
    await until(() => proxy.stalled && proxy.held > 0);
    expect(partials()).toHaveLength(1);
    controller.abort();
    const { duringStall, error } = await settleDuringStall(proxy, writing);
    const reported = progress.length;
    expect(duringStall).toBe(true);
    const aborted = await rejectsWith(Promise.reject(error), 'ABORTED');
    // The close and unlink were sent; nothing answered them in time: the file is named, as a key of the mount.
    const name = partials()[0]!;
    expect(aborted.message).toBe(
      `[ufs] [sftp] write "m:up.bin": aborted; its partial upload "m:${name}" could not be removed (no answer ` +
        'within 300 ms): delete it if it is still there',
    );
    expect(aborted.context.leftover).toBe(`m:${name}`);
    // Once the link answers, the server handles them (before this listing, sent after them on the same channel).
    proxy.release();
    const page = await backend.list('', { includeTemporary: true });
    expect(page.entries.map((e) => e.key).sort()).toEqual(['a.txt', 'big.bin']);
    expect(partials()).toEqual([]);
    // The acknowledgements that came after the abort are not reported as progress.
    expect(progress.length).toBe(reported);
  }, 40_000);

  it('removes the partial upload before settling when the link answers', async () => {
    const { backend } = await proxied();
    const controller = new AbortController();
    const writing = backend.write('up.bin', endless(), {
      signal: controller.signal,
      onProgress: (loaded) => {
        if (loaded > MiB) controller.abort();
      },
    });
    const error = await rejectsWith(writing, 'ABORTED');
    expect(error.message).toBe('[ufs] [sftp] write "m:up.bin": aborted');
    expect(partials()).toEqual([]);
  }, 40_000);

  it('settles a stat and the opening of a read while the link is still stalled', async () => {
    const { proxy, backend } = await proxied();
    expect(await backend.stat('a.txt')).toMatchObject({ size: 4 });
    proxy.stall();
    const starts: ((signal: AbortSignal) => Promise<unknown>)[] = [
      (signal) => backend.stat('a.txt', { signal }),
      (signal) => backend.read('a.txt', { signal }),
    ];
    for (const start of starts) {
      const controller = new AbortController();
      const held = proxy.heldFromClient;
      const pending = start(controller.signal);
      pending.catch(() => undefined);
      await until(() => proxy.heldFromClient > held);
      controller.abort();
      const { duringStall, error } = await settleDuringStall(proxy, pending);
      expect(duringStall).toBe(true);
      await rejectsWith(Promise.reject(error), 'ABORTED');
    }
    proxy.release();
    expect(await readAll(await backend.read('a.txt'))).toEqual(Buffer.from('here'));
  }, 60_000);
});

describe('sftp: a write cut by a lost connection', () => {
  it('removes its partial upload on a new connection before failing', async () => {
    const { proxy, backend } = await proxied();
    let cut = false;
    const writing = backend.write('up.bin', endless(), {
      onProgress: (loaded) => {
        if (loaded > 2 * MiB && !cut) {
          cut = true;
          proxy.resetAll();
        }
      },
    });
    const error = await rejectsWith(writing, 'UNAVAILABLE');
    expect(error.message).toMatch(/^\[ufs\] \[sftp\] write "m:up\.bin": .*connection/);
    expect(error.context.leftover).toBeUndefined();
    // Removed already, by the write itself, on a second connection: no later operation is needed.
    expect(partials()).toEqual([]);
    expect(proxy.accepted).toBe(2);
  }, 40_000);

  it('names the partial upload it could not remove when no new connection can be made', async () => {
    const { proxy, backend } = await proxied();
    let cut = false;
    const writing = backend.write('up.bin', endless(), {
      onProgress: (loaded) => {
        if (loaded > 2 * MiB && !cut) {
          cut = true;
          void proxy.refuse();
          proxy.resetAll();
        }
      },
    });
    const error = await rejectsWith(writing, 'UNAVAILABLE');
    const [name] = partials();
    expect(name).toBeDefined();
    expect(error.message).toContain(`; its partial upload "m:${name}" could not be removed (the connection was lost`);
    expect(error.message).toMatch(/: delete it if it is still there$/);
    expect(error.context.leftover).toBe(`m:${name}`);
  }, 40_000);
});

describe('sftp timeoutMs', () => {
  it('fails a write whose acknowledgements stop coming with TIMEOUT, and removes its partial upload', async () => {
    const { proxy, backend } = await proxied({ timeoutMs: 1500 });
    let stalled = false;
    const writing = backend.write('up.bin', endless(), {
      onProgress: (loaded) => {
        if (loaded > MiB && !stalled) {
          stalled = true;
          proxy.stall();
        }
      },
    });
    const { duringStall, error } = await settleDuringStall(proxy, writing);
    expect(duringStall).toBe(true);
    const timeout = await rejectsWith(Promise.reject(error), 'TIMEOUT');
    expect(timeout.message).toBe(
      `[ufs] [sftp] write "m:up.bin": no answer from 127.0.0.1:${proxy.port} for 1500 ms (timeoutMs)`,
    );
    expect(timeout.retryable).toBe(true);
    expect(timeout.context.timeout).toBe('timeoutMs');
    // The stalled connection was given up; a new one removed the partial upload.
    expect(partials()).toEqual([]);
    expect(proxy.accepted).toBe(2);
  }, 40_000);

  it('fails a read whose data stops coming with TIMEOUT', async () => {
    const { proxy, backend } = await proxied({ timeoutMs: 1500 });
    const stream = await backend.read('big.bin');
    const reading = readAll(stream);
    await new Promise((resolve) => stream.once('data', resolve));
    proxy.stall();
    const { duringStall, error } = await settleDuringStall(proxy, reading);
    expect(duringStall).toBe(true);
    const timeout = await rejectsWith(Promise.reject(error), 'TIMEOUT');
    expect(timeout.message).toBe(
      `[ufs] [sftp] read "m:big.bin": no answer from 127.0.0.1:${proxy.port} for 1500 ms (timeoutMs)`,
    );
  }, 40_000);

  it('answers a stat on a new connection when the one it was sent on stalls', async () => {
    const { proxy, backend } = await proxied({ timeoutMs: 1500 });
    expect(await backend.stat('a.txt')).toMatchObject({ size: 4 });
    proxy.stall();
    const { duringStall, error } = await settleDuringStall(proxy, backend.stat('big.bin'));
    expect(duringStall).toBe(true);
    expect(error).toBeUndefined();
    expect(proxy.accepted).toBe(2);
  }, 40_000);

  it('bounds the SSH handshake, naming timeoutMs (or readyTimeout when that is given)', async () => {
    const silent = await blackhole();
    try {
      const backend = await mount(silent.port, { timeoutMs: 1500 });
      const error = await rejectsWith(backend.stat('a.txt'), 'TIMEOUT');
      expect(error.message).toBe(
        `[ufs] [sftp] connect "${sshd.username}@127.0.0.1:${silent.port}": no SSH handshake within 1500 ms (timeoutMs)`,
      );
      expect(error.retryable).toBe(true);
      const ready = await mount(silent.port, { timeoutMs: 60_000, readyTimeout: 1000 });
      const readyError = await rejectsWith(ready.stat('a.txt'), 'TIMEOUT');
      expect(readyError.message).toMatch(/: no SSH handshake within 1000 ms \(readyTimeout\)$/);
    } finally {
      for (const backend of opened.splice(0)) await backend.dispose?.();
      await silent.close();
    }
  }, 40_000);

  it('is 60 s by default, read from URLs, and refused when it is not a number of milliseconds', async () => {
    const auth = { host: 'h', username: 'u', password: 'p', insecureSkipHostKeyCheck: true };
    expect(definition.options.parse(auth).timeoutMs).toBe(60_000);
    const url = new URL('sftp://u:p@h/srv?timeoutMs=2500&insecureSkipHostKeyCheck=true');
    expect(definition.options.parse(definition.fromUrl!(url)).timeoutMs).toBe(2500);
    const storage = new StorageManager();
    try {
      for (const [value, words] of [
        [-1, 'timeoutMs must be at least 0 (0 = no limit)'],
        ['soon', 'timeoutMs must be a number of milliseconds'],
        [1.5, 'timeoutMs must be a whole number of milliseconds'],
      ] as const) {
        const error = await rejectsWith(
          storage.configure([{ name: 'bad', protocol: 'sftp', ...auth, timeoutMs: value }]),
          'CONFIG_INVALID',
        );
        expect(error.message).toContain('"timeoutMs"');
        expect(error.message).toContain(words);
      }
    } finally {
      await storage.dispose();
    }
  });
});
