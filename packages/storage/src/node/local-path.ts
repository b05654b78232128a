import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { notFound, permissionDenied, unsupported } from '../errors.js';
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
  /** True when `path` is a temporary copy (the mount has no local files). */
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
 * A local path for the node. On a mount with local files (the `local` backend) it is the file itself (in read mode
 * the caller must not change it). Elsewhere it is a temporary copy in a private folder, removed on close; in write
 * mode the copy starts with the current content (if any) and is uploaded on `close()`.
 */
export async function localPathOf(node: StorageNode, options: LocalPathOptions = {}): Promise<LocalPathHandle> {
  const mode = options.mode ?? 'read';
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
      if (mode === 'write') await ensureParent(node, backend);
      else if (!(await node.exists())) throw notFound(siteOf(node), 'localPath', node.path, 'no such file');
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
