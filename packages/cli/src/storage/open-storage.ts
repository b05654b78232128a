import { isAbsolute } from 'node:path';
import { UfsError } from '@org/core';
import { StorageManager, mountsNeeded, validateMountName, type StorageNode } from '@org/storage';
import type { CliConfig } from '../config/cli-config.js';
import { expandPath } from '../config/paths.js';

/**
 * The mounts of the config file plus an implicit `local` mount on `/`, so that a bare path (`./a.txt`,
 * `/srv/x`, `~/notes`, `docs/`) works wherever a `mount:path` does.
 *
 * A configured mount is opened when a command first uses it (with the mounts it is built on: the parent of a
 * relative mount, the mount holding a zip mount's archive), as rclone checks a remote's config only when it is used:
 * a mount that cannot be opened (a key file missing, a credential unset) fails the paths that name it, with the
 * error the storage manager gives, and no other. Only what makes the list itself unusable (a mount without a valid
 * name) fails at once.
 */
export class CliStorage {
  /** Each mount's opening (its promise, settled once): the same error every time it is used. */
  private readonly opening = new Map<string, Promise<void>>();
  /** Openings run one after the other: two mounts built on one parent install it once. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly manager: StorageManager,
    /** Name of the implicit local mount (`local`, unless the config defines a mount of that name). */
    readonly localMount: string,
    /** The config's mounts by name, in the file's order (two of one name are both kept: see `install`). */
    private readonly configured: ReadonlyMap<string, readonly Record<string, unknown>[]>,
  ) {}

  static async open(config: CliConfig): Promise<CliStorage> {
    const configured = new Map<string, Record<string, unknown>[]>();
    for (const mount of config.mounts) {
      // A mount no command can name would never tell what is wrong with it: the config is refused now.
      const name = validateMountName(mount.name);
      configured.set(name, [...(configured.get(name) ?? []), mount]);
    }
    const manager = new StorageManager();
    const localMount = configured.has('local') ? '_ufs_local' : 'local';
    await manager.addMount({ name: localMount, protocol: 'local', root: '/' } as never);
    return new CliStorage(manager, localMount, configured);
  }

  /** Names of the configured mounts (whether they open or not), sorted. */
  mountNames(): string[] {
    return [...this.configured.keys()].sort();
  }

  /** Opens a configured mount (and those it is built on) once; rejects, each time, with why it cannot be opened. */
  private use(name: string): Promise<void> {
    let opened = this.opening.get(name);
    if (!opened) {
      opened = this.queue.catch(() => undefined).then(() => this.install(name));
      this.queue = opened;
      this.opening.set(name, opened);
    }
    return opened;
  }

  /**
   * Configures `name` and the configured mounts it depends on that are not open yet, in one `configure()`, in the
   * file's order: a failure is the storage manager's own error for those mounts (a missing parent, a cycle and a
   * name given twice included), the one configuring the whole file gave when they were its only problem.
   */
  private async install(name: string): Promise<void> {
    const all = [...this.configured.values()].flat();
    const mounts = mountsNeeded(all, name, { skip: (other) => this.manager.hasMount(other) });
    if (mounts.length === 0) return;
    await this.manager.configure(mounts);
  }

  /** Local paths as the user typed them (`docs/`, `./a.txt`, `~/x`), by their key on the implicit local mount. */
  private readonly typed = new Map<string, string>();

  /**
   * `mount:path`, or a local path (absolute, `./`, `../`, `~`, or relative without a known `mount:` prefix). A
   * configured mount is opened here, on first use: one that cannot be rejects with the reason.
   */
  async node(arg: string): Promise<StorageNode> {
    if (arg === '') throw new UfsError('INVALID_INPUT', '[ufs] an empty path was given');
    const local = arg.startsWith('~') || arg.startsWith('.') || isAbsolute(arg);
    const match = local ? null : /^([A-Za-z0-9_-]+):(.*)$/s.exec(arg);
    if (match) {
      const [, name, path] = match as unknown as [string, string, string];
      if (name !== this.localMount && !this.configured.has(name)) {
        const known = this.mountNames();
        throw new UfsError(
          'NOT_FOUND',
          `[ufs] unknown mount "${name}" in "${arg}" (configured: ${known.length ? known.join(', ') : 'none'}; for a local file of that name write ./${arg})`,
          { context: { operation: 'resolve', path: arg } },
        );
      }
      if (name !== this.localMount) await this.use(name);
      return this.manager.node(`${name}:${path}`);
    }
    const absolute = expandPath(arg);
    // resolve() drops a trailing `/`, which says the path names a folder (`rm ./t.txt/` must not remove a file).
    const folder = arg.endsWith('/') && absolute !== '/' ? '/' : '';
    const node = this.manager.node(`${this.localMount}:${absolute.slice(1)}${folder}`);
    if (!this.typed.has(node.path)) this.typed.set(node.path, arg);
    return node;
  }

  /** How to show a node in results (JSON, listings): local paths as absolute paths, others as `mount:path`. */
  display(node: StorageNode): string {
    return this.displayPath(node.fullpath);
  }

  /** `display` for a `mount:path` string (the paths of copy failures). */
  displayPath(full: string): string {
    const prefix = `${this.localMount}:`;
    return full.startsWith(prefix) ? `/${full.slice(prefix.length)}` : full;
  }

  /**
   * How to name a node (or a `mount:path`) in messages: a local path as the user typed it, or below what they typed
   * (`docs/a.md` for `docs`), else absolute; others as `mount:path`. Never the implicit mount's `local:…`.
   */
  named(node: StorageNode | string): string {
    const full = typeof node === 'string' ? node : node.fullpath;
    const prefix = `${this.localMount}:`;
    return full.startsWith(prefix) ? this.userPath(full.slice(prefix.length)) : full;
  }

  /** A key of the implicit local mount as the user typed it, or below an argument they typed, else absolute. */
  private userPath(key: string): string {
    const exact = this.typed.get(key);
    if (exact !== undefined) return exact;
    let best: [string, string] | undefined;
    for (const [typedKey, arg] of this.typed) {
      const above = typedKey === '' || key.startsWith(`${typedKey}/`);
      if (above && (!best || typedKey.length > best[0].length)) best = [typedKey, arg];
    }
    if (!best) return `/${key}`;
    const rest = best[0] === '' ? key : key.slice(best[0].length + 1);
    return `${best[1].replace(/\/+$/, '')}/${rest}`;
  }

  /**
   * An error as the user would name things: a local path as typed (`"docs/a.md"`, `"/srv/a.txt"`) instead of the
   * implicit mount's `"local:srv/a.txt"` or `"srv/a.txt"`, in the message (the path and the folders above it), and
   * as an absolute path in the context. Keys of other mounts stay as they are.
   */
  forUser(error: UfsError): UfsError {
    const prefix = `${this.localMount}:`;
    const { mount } = error.context;
    const ours = mount === this.localMount;
    const bare = (p: string) => (p.startsWith(prefix) ? p.slice(prefix.length) : p);
    // Keys of the local mount this error is about: its own (path, to, the missing folder of a mkdir), or those of a
    // copy/move (`local:…` values).
    const fields = ['path', 'to', 'dest', 'missing'] as const;
    const localField = (name: (typeof fields)[number], value: unknown): value is string =>
      typeof value === 'string' && (value.startsWith(prefix) || (ours && name !== 'dest' && !value.startsWith('/')));
    const keys = fields.flatMap((f) => (localField(f, error.context[f]) ? [bare(error.context[f] as string)] : []));
    if (keys.length === 0 && !error.message.includes(`"${prefix}`)) return error;
    // A bare quoted key stands for a local file only in what the local mount itself said.
    const speaksLocal = ours || error.message.includes(`[${this.localMount}] `);
    const named = (q: string) => keys.some((k) => k === q || k.startsWith(`${q}/`));
    const message = error.message
      .split(` of mount "${this.localMount}"`) // the user named a path, not the implicit mount
      .join('')
      .replace(/"([^"]+)"/g, (quoted, q: string) =>
        q.startsWith(prefix) || (speaksLocal && named(q)) ? `"${this.userPath(bare(q))}"` : quoted,
      );
    const context = { ...error.context };
    for (const f of fields) if (localField(f, context[f])) context[f] = `/${bare(context[f] as string)}`;
    return new UfsError(error.code, message, {
      retryable: error.retryable,
      context,
      cause: error.cause,
      retryAfterMs: error.retryAfterMs,
    });
  }

  dispose(): Promise<void> {
    return this.manager.dispose();
  }
}
