import { randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parentKey } from '@org/core';
import { invalidInput, notFound, permissionDenied, unsupported } from '../errors.js';
import { replayable } from '../util/replayable.js';
import { makeTempDir } from '../util/temp.js';
import { guard, siteOf } from './access.js';
import { openRead } from './read.js';
import { ensureParent } from './write.js';
import type { StorageNode } from './storage-node.js';

export interface LocalPathOptions {
  /** `read` (default): the content must exist. `write`: a program may create or change the file. */
  mode?: 'read' | 'write';
}

/** A real local file for a node, released with `close()` or `await using`. */
export interface LocalPathHandle extends AsyncDisposable {
  /** Absolute path of the file. */
  readonly path: string;
  /** True when `path` is a temporary copy (the mount has no local files, or `write` mode). */
  readonly temporary: boolean;
  /** Releases the handle; in write mode a temporary copy is written back first (when the file exists). */
  close(): Promise<void>;
  /** Releases the handle without writing anything back. */
  discard(): Promise<void>;
}

function handle(path: string, temporary: boolean, onClose: (writeBack: boolean) => Promise<void>): LocalPathHandle {
  let closing: Promise<void> | undefined;
  const release = (writeBack: boolean) => (closing ??= onClose(writeBack));
  return {
    path,
    temporary,
    close: () => release(true),
    discard: () => release(false),
    [Symbol.asyncDispose]: () => release(true),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * A private folder next to `target` (same folder, so the same filesystem: a rename from it is atomic) holding the
 * file a program writes, under the target's own name (programs that pick a format by the extension see it). Its name
 * is one the local backend takes for its own temporary files, so listings leave it out while it exists.
 */
async function stagingFolder(target: string): Promise<string> {
  const folder = join(dirname(target), `.ufs-${randomBytes(6).toString('hex')}-0.tmp`);
  await mkdir(folder, { mode: 0o700 });
  return folder;
}

/**
 * Write mode on a mount with local files: the program works on a copy of the file (a reflink where the filesystem
 * has them) in a staging folder beside it; `close()` renames the copy over the file (atomic: readers see the old
 * content or the new one), `discard()` drops it. The file itself is never touched before `close()`, so a failed
 * program leaves it as it was.
 */
async function stagedWrite(node: StorageNode, target: string, created: string[]): Promise<LocalPathHandle> {
  const current = await stat(target).catch((err: { code?: unknown }) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (current?.isDirectory())
    throw invalidInput(siteOf(node), 'localPath', node.path, 'is a folder, not a file: no path for writing');
  let folder: string | undefined;
  try {
    folder = await stagingFolder(target);
    if (current) await copyFile(target, join(folder, basename(target)), constants.COPYFILE_FICLONE);
  } catch (err) {
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
    throw err; // the caller removes the parents it made
  }
  const staging = folder;
  const file = join(staging, basename(target));
  return handle(file, true, async (writeBack) => {
    let written = false;
    try {
      if (writeBack && (await exists(file)))
        await guard(node, 'localPath', async () => {
          // The file keeps its permissions even when the program replaced the copy by a new file.
          const mode = await stat(target).then(
            (s) => (s.isFile() ? s.mode & 0o7777 : undefined),
            () => undefined,
          );
          if (mode !== undefined) await chmod(file, mode);
          await rename(file, target);
          written = true;
        });
    } finally {
      await rm(staging, { recursive: true, force: true });
      // Nothing written (discarded, no file made, the write-back failed): the parents this handle made go too.
      if (!written) await removeCreated(created);
    }
  });
}

/**
 * The local paths of the parent folders of `node` that do not exist yet (nearest first), which `ensureParent` will
 * create: a handle that writes nothing removes them again (`removeCreated`).
 */
async function missingParents(node: StorageNode, localPath: (key: string) => Promise<string>): Promise<string[]> {
  const missing: string[] = [];
  for (let key = parentKey(node.path); key !== ''; key = parentKey(key)) {
    const path = await localPath(key);
    if (await exists(path)) break;
    missing.push(path);
  }
  return missing;
}

/** Removes folders (nearest first) while they are empty: one that got something in the meantime stays, as do its parents. */
async function removeCreated(folders: readonly string[]): Promise<void> {
  for (const folder of folders) {
    const removed = await rmdir(folder).then(
      () => true,
      () => false,
    );
    if (!removed) return;
  }
}

/**
 * A local path for the node. On a mount with local files (the `local` backend) read mode gives the file itself (the
 * caller must not change it) and write mode a copy beside it, renamed over the file on `close()` (see
 * `stagedWrite`). Elsewhere it is a temporary copy in a private folder, removed on close; in write mode the copy
 * starts with the current content (if any) and is uploaded on `close()`.
 */
export async function localPathOf(node: StorageNode, options: LocalPathOptions = {}): Promise<LocalPathHandle> {
  const mode = options.mode ?? 'read';
  if (mode !== 'read' && mode !== 'write')
    throw invalidInput(siteOf(node), 'localPath', node.path, `mode must be "read" or "write", not ${String(mode)}`);
  const mount = node.mount;
  const backend = mount.backend();
  if (mode === 'write') {
    const denial = mount.denial('write');
    if (denial) throw permissionDenied(siteOf(node), 'localPath', node.path, denial.reason);
    if (!backend.capabilities.write)
      throw unsupported(
        siteOf(node),
        'localPath',
        node.path,
        `mount "${node.mountName}" cannot write, so no path for writing`,
      );
    if (node.versionId !== undefined)
      throw unsupported(siteOf(node), 'localPath', node.path, 'a past version cannot be written');
  }
  if (backend.localPath && node.versionId === undefined) {
    const localPath = backend.localPath.bind(backend);
    return guard(node, 'localPath', async () => {
      if (mode === 'write') {
        const created = await missingParents(node, localPath);
        try {
          await ensureParent(node, backend);
          return await stagedWrite(node, await localPath(node.path), created);
        } catch (err) {
          await removeCreated(created);
          throw err;
        }
      }
      if (!(await node.exists())) throw notFound(siteOf(node), 'localPath', node.path, 'no such file');
      return handle(await localPath(node.path), false, async () => undefined);
    });
  }
  return guard(node, 'localPath', async () => {
    const temp = await makeTempDir('ufs-local-');
    const file = join(temp.path, node.basename || 'content');
    try {
      const current = await node.exists();
      if (current) await pipeline(await openRead(node), createWriteStream(file, { mode: 0o600 }));
      else if (mode === 'read') throw notFound(siteOf(node), 'localPath', node.path, 'no such file');
    } catch (err) {
      await temp.remove();
      throw err;
    }
    return handle(file, true, async (writeBack) => {
      try {
        if (writeBack && mode === 'write' && (await exists(file))) {
          await node.write(replayable(() => createReadStream(file)));
        }
      } finally {
        await temp.remove();
      }
    });
  });
}
