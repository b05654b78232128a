import { isAbsolute } from 'node:path';
import { UfsError } from '@org/core';
import { StorageManager, type StorageNode } from '@org/storage';
import type { CliConfig } from '../config/cli-config.js';
import { expandPath } from '../config/paths.js';

/**
 * The mounts of the config file plus an implicit `local` mount on `/`, so that a bare path (`./a.txt`,
 * `/srv/x`, `~/notes`, `docs/`) works wherever a `mount:path` does.
 */
export class CliStorage {
  private constructor(
    readonly manager: StorageManager,
    /** Name of the implicit local mount (`local`, unless the config defines a mount of that name). */
    readonly localMount: string,
  ) {}

  static async open(config: CliConfig): Promise<CliStorage> {
    const manager = new StorageManager();
    await manager.configure(config.mounts as never);
    const localMount = manager.hasMount('local') ? '_ufs_local' : 'local';
    await manager.addMount({ name: localMount, protocol: 'local', root: '/' } as never);
    return new CliStorage(manager, localMount);
  }

  /** `mount:path`, or a local path (absolute, `./`, `../`, `~`, or relative without a known `mount:` prefix). */
  node(arg: string): StorageNode {
    if (arg === '') throw new UfsError('INVALID_INPUT', '[ufs] an empty path was given');
    const local = arg.startsWith('~') || arg.startsWith('.') || isAbsolute(arg);
    const match = local ? null : /^([A-Za-z0-9_-]+):(.*)$/s.exec(arg);
    if (match) {
      const [, name, path] = match as unknown as [string, string, string];
      if (!this.manager.hasMount(name)) {
        const known = this.manager.mountNames().filter((m) => m !== this.localMount);
        throw new UfsError(
          'NOT_FOUND',
          `[ufs] unknown mount "${name}" in "${arg}" (configured: ${known.length ? known.join(', ') : 'none'}; for a local file of that name write ./${arg})`,
          { context: { operation: 'resolve', path: arg } },
        );
      }
      return this.manager.node(`${name}:${path}`);
    }
    const absolute = expandPath(arg);
    return this.manager.node(`${this.localMount}:${absolute.slice(1)}`);
  }

  /** How to show a node: local paths as paths, others as `mount:path`. */
  display(node: StorageNode): string {
    return node.mountName === this.localMount ? `/${node.path}` : node.fullpath;
  }

  /**
   * An error of the implicit local mount as the user would name it: `"/srv/a.txt"` instead of the mount's own
   * `"local:srv/a.txt"` or `"srv/a.txt"`, in the message (the path and the folders above it) and the context.
   */
  forUser(error: UfsError): UfsError {
    const { mount, path, to } = error.context;
    if (mount !== this.localMount || typeof path !== 'string') return error;
    const bare = (p: string) => (p.startsWith(`${mount}:`) ? p.slice(mount.length + 1) : p);
    const keys = [path, to].filter((k): k is string => typeof k === 'string').map(bare);
    // A quoted key of this error, or a folder above one, becomes its path.
    const named = (q: string) => keys.some((k) => k === bare(q) || k.startsWith(`${bare(q)}/`));
    const message = error.message
      .split(` of mount "${mount}"`) // the user named a path, not the implicit mount
      .join('')
      .replace(/"([^"]+)"/g, (quoted, q: string) => (named(q) ? `"/${bare(q)}"` : quoted));
    return new UfsError(error.code, message, {
      retryable: error.retryable,
      context: { ...error.context, path: `/${bare(path)}`, ...(typeof to === 'string' ? { to: `/${bare(to)}` } : {}) },
      cause: error.cause,
      retryAfterMs: error.retryAfterMs,
    });
  }

  dispose(): Promise<void> {
    return this.manager.dispose();
  }
}
