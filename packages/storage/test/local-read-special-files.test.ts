// Reading a FIFO, socket or device through a local mount is refused at once (UNSUPPORTED, naming its kind), as
// listings report them, never waiting for a writer that may never come; so is a copy or move of one. Real FIFOs,
// sockets and /dev/null on disk.
import { execFileSync } from 'node:child_process';
import { mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { UfsError } from '@org/core';
import { copyNode, moveNode } from '../src/copy/index.js';
import { StorageManager } from '../src/index.js';
import { tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let storage: StorageManager;
const disk = (...parts: string[]) => join(dir.path, ...parts);

beforeEach(async () => {
  dir = await tempDir('ufs-special-read-');
  await mkdir(disk('b', 't'), { recursive: true });
  await mkdir(disk('c'), { recursive: true });
  execFileSync('mkfifo', [disk('b', 't', 'fifo')]);
  await writeFile(disk('b', 't', 'plain.txt'), 'plain');
  storage = new StorageManager();
  await storage.configure([
    { name: 'b', protocol: 'local', root: disk('b') },
    { name: 'c', protocol: 'local', root: disk('c') },
  ]);
});
afterEach(async () => {
  await storage.dispose();
  await dir.cleanup();
});

/** Rejects when `promise` has not settled within `ms` (a read of a FIFO that waits for a writer). */
function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function refusal(promise: Promise<unknown>): Promise<UfsError> {
  return within(promise).then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: UfsError) => err,
  );
}

describe('reading', () => {
  it('a FIFO is refused at once', async () => {
    const err = await refusal(storage.node('b:t/fifo').readText());
    expect(err).toMatchObject({ code: 'UNSUPPORTED' });
    expect(err.message).toBe('[ufs] [local] read "b:t/fifo": is a FIFO, not a regular file');
    const streamed = await refusal(storage.node('b:t/fifo').openReadStream());
    expect(streamed.code).toBe('UNSUPPORTED');
  });

  it('a link to a FIFO, a socket and a device too', async () => {
    await symlink('fifo', disk('b', 't', 'to-fifo'));
    expect((await refusal(storage.node('b:t/to-fifo').readBytes())).message).toMatch(/is a FIFO, not a regular file$/);

    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(disk('b', 't', 'sock'), resolve));
    try {
      expect((await stat(disk('b', 't', 'sock'))).isSocket()).toBe(true);
      const err = await refusal(storage.node('b:t/sock').readText());
      expect(err).toMatchObject({ code: 'UNSUPPORTED' });
      expect(err.message).toMatch(/read "b:t\/sock": is a socket, not a regular file$/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }

    await storage.addMount('dev', 'file:///dev');
    const err = await refusal(storage.node('dev:null').readText());
    expect(err).toMatchObject({ code: 'UNSUPPORTED' });
    expect(err.message).toMatch(/read "dev:null": is a character device, not a regular file$/);
  });

  it('files and folders read as before', async () => {
    expect(await storage.node('b:t/plain.txt').readText()).toBe('plain');
    expect(await refusal(storage.node('b:t').readText())).toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('copying or moving one', () => {
  it.each([
    ['copy', 'c:ff'],
    ['copy', 'b:ff'],
    ['move', 'c:ff'],
    ['move', 'b:ff'],
  ])('a %s to %s is refused at once with UNSUPPORTED, and the FIFO stays', async (operation, to) => {
    const run = operation === 'copy' ? copyNode : moveNode;
    const err = await refusal(run(storage.node('b:t/fifo'), storage.node(to)));
    expect(err).toMatchObject({ code: 'UNSUPPORTED', context: { path: 'b:t/fifo' } });
    expect(err.message).toBe(`[ufs] ${operation} "b:t/fifo": is a FIFO, not a regular file`);
    expect((await stat(disk('b', 't', 'fifo'))).isFIFO()).toBe(true);
    expect(await storage.node(to).exists()).toBe(false);
  });
});
