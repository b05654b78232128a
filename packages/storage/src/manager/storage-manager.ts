import { UfsError, type BackendCapabilities, type StorageBackend } from '@org/core';
import type { BackendDefinition } from '../backend-definition.js';
import { buildLayers } from '../config/layer-config.js';
import type { Env } from '../config/interpolate.js';
import { loadConfigFile } from '../config/load-file.js';
import {
  hasOwnUrlOption,
  looksLikeUrl,
  planMount,
  planSettings,
  validateMountName,
  type BackendMountPlan,
  type MountConfig,
  type MountPlan,
} from '../config/mount-config.js';
import { describeIssues } from '../config/zod-issues.js';
import { configInvalid } from '../errors.js';
import type { StorageLogger } from '../layers/logging.js';
import type { MetricsSnapshot } from '../layers/metrics.js';
import { callProgram, type CallArgument, type CallOptions, type CallResult } from '../node/call.js';
import { splitFullpath } from '../node/names.js';
import { StorageNode, type NodeHost } from '../node/storage-node.js';
import { loadBackend } from '../registry.js';
import { BackendMount, RelativeMount, type Mount, type MountInfo } from './mount.js';

export interface StorageManagerOptions {
  /** Where `${VAR}` in configs is looked up, and what backends receive as `env`. Default `process.env`. */
  env?: Env;
  /** Logger of `{ type: 'logging' }` layers. Default `console`. */
  logger?: StorageLogger;
}

/** What `configure()` accepts: mounts, `{ mounts }`, or the path of a `.json`/`.yaml` file holding them. */
export type MountsSource = readonly MountConfig[] | { mounts: readonly MountConfig[] } | string;

/** What a wrong argument of `configure()` was, for messages: `null`, `number 42`, `an object without a "mounts" array`. */
function shape(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return 'an object without a "mounts" array';
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}

/**
 * Named mounts over storage backends, and the nodes in them.
 *
 * ```ts
 * const storage = new StorageManager();
 * await storage.configure([{ name: 'data', protocol: 'local', root: '/srv/data' }]);
 * await storage.node('data:reports/q1.csv').writeText('a,b\n');
 * ```
 */
export class StorageManager implements NodeHost {
  readonly #mounts = new Map<string, Mount>();
  /** Replaced or removed mounts whose backends close once their running operations end. */
  readonly #retiring = new Set<Mount>();
  readonly #env: Env;
  readonly #logger: StorageLogger | undefined;

  constructor(options: StorageManagerOptions = {}) {
    this.#env = options.env ?? process.env;
    this.#logger = options.logger;
  }

  /**
   * Adds mounts (replacing those of the same name). All are validated and created before any is swapped in: if one
   * fails, nothing changes. Replaced backends are disposed.
   */
  async configure(source: MountsSource): Promise<void> {
    const raw =
      typeof source === 'string'
        ? await loadConfigFile(source)
        : Array.isArray(source) || typeof source !== 'object' || source === null
          ? source
          : (source as { mounts: readonly MountConfig[] }).mounts;
    if (!Array.isArray(raw))
      throw configInvalid(
        undefined,
        `configure() takes an array of mounts, { mounts: [...] } or a config file path${typeof source === 'string' ? '' : `, not ${shape(source)}`}`,
      );
    const plans = raw.map((mount) => planMount(mount, this.#env));
    const seen = new Set<string>();
    for (const plan of plans) {
      if (seen.has(plan.name)) throw configInvalid(plan.name, 'the mount name appears twice in this configuration');
      seen.add(plan.name);
    }
    await this.#install(plans);
  }

  /**
   * Adds (or replaces) one mount: a config object, or a name and a URL (`file:///tmp/x`, `memory://`,
   * `s3://bucket/prefix?region=…`), a relative path (`parent:sub/dir`) or the rest of a config.
   */
  async addMount(config: MountConfig): Promise<void>;
  async addMount(name: string, target: string | Omit<MountConfig, 'name'>): Promise<void>;
  async addMount(first: MountConfig | string, target?: string | Omit<MountConfig, 'name'>): Promise<void> {
    let config: MountConfig;
    if (typeof first !== 'string') config = first;
    else if (typeof target === 'string')
      config = looksLikeUrl(target) ? { name: first, url: target } : { name: first, path: target };
    else if (target && typeof target === 'object') config = { ...target, name: first };
    else throw configInvalid(first, 'addMount(name, target) needs a URL, a "mount:folder" path or a config object');
    await this.#install([planMount(config, this.#env)]);
  }

  /**
   * Mounts a backend instance made elsewhere (a custom backend, a pre-built client, a test double). Layers and
   * permissions apply as for configured mounts; the manager disposes it with the mount.
   */
  async mountBackend(
    name: string,
    backend: StorageBackend,
    options: { permissions?: MountConfig['permissions']; layers?: MountConfig['layers'] } = {},
  ): Promise<void> {
    const plan = planSettings({ name, ...options }, this.#env);
    const built = buildLayers(plan.layers, { mountName: name, logger: this.#logger });
    const mount = new BackendMount({
      name,
      permissions: plan.permissions,
      layers: built.layers,
      metrics: built.metrics,
      readonlyLayer: built.readonly,
      protocol: backend.protocol,
      backend,
    });
    this.#checkRelatives([mount]);
    const old = this.#mounts.get(name);
    this.#mounts.set(name, mount);
    if (old) await this.#retire([old]);
  }

  /** Removes a mount and disposes its backend. Refused while relative mounts still use it. */
  async removeMount(name: string): Promise<boolean> {
    const mount = this.#mounts.get(name);
    if (!mount) return false;
    const dependents = [...this.#mounts.values()]
      .filter((m) => m instanceof RelativeMount && m.parent === name)
      .map((m) => m.name);
    if (dependents.length > 0) {
      throw configInvalid(
        name,
        `cannot remove: relative mount${dependents.length > 1 ? 's' : ''} ${dependents.map((d) => `"${d}"`).join(', ')} use${dependents.length > 1 ? '' : 's'} it; remove them first`,
      );
    }
    this.#mounts.delete(name);
    await this.#retire([mount]);
    return true;
  }

  mountNames(): string[] {
    return [...this.#mounts.keys()].sort();
  }

  hasMount(name: string): boolean {
    return this.#mounts.has(name);
  }

  /** Protocol, permissions and effective capabilities of a mount. */
  getMount(name: string): MountInfo {
    return this.resolveMount(name).info();
  }

  capabilities(name: string): BackendCapabilities {
    return this.resolveMount(name).capabilities;
  }

  /** Counters of the mount's `metrics` layer, or undefined when it has none. */
  metrics(name: string): MetricsSnapshot | undefined {
    return this.resolveMount(name).metrics();
  }

  /** Reports a problem that did not stop an operation (a listed name left out) to the `logger`, else the console. */
  warn(message: string, fields?: Record<string, unknown>): void {
    if (this.#logger) this.#logger.warn(message, fields);
    else console.warn(message);
  }

  /** The mount behind a name; NOT_FOUND listing the mounts when there is none. */
  resolveMount(name: string): Mount {
    const mount = this.#mounts.get(name);
    if (mount) return mount;
    const known = this.mountNames();
    throw new UfsError(
      'NOT_FOUND',
      `[ufs] no mount named "${name}"; mounts: ${known.length > 0 ? known.join(', ') : '(none)'}`,
      {
        context: { operation: 'node', mount: name },
      },
    );
  }

  /**
   * A node: `node('mount:path/to/file')`, `node('mount', 'a', 'b')`, `node('mount:a', 'b.txt')`. The path is
   * normalised; `..`, NUL and other escapes are INVALID_INPUT.
   */
  node(path: string, ...parts: string[]): StorageNode {
    if (typeof path !== 'string')
      throw new UfsError(
        'INVALID_INPUT',
        `[ufs] node(): the path must be a string ("mount:path/to/file"), not ${path === null ? 'null' : typeof path}`,
        { context: { operation: 'node' } },
      );
    const { mount, path: inner } = splitFullpath(path);
    this.resolveMount(mount);
    const node = new StorageNode(this, mount, inner);
    return parts.length > 0 ? node.child(...parts) : node;
  }

  /** Runs a program with nodes as file arguments (see `StorageNode.call`). */
  call(command: string, args: readonly CallArgument[], options: CallOptions = {}): Promise<CallResult> {
    return callProgram(command, args, options);
  }

  /** Disposes every mount's backend and forgets the mounts. */
  /**
   * Closes every backend now, including those of replaced or removed mounts still finishing their work: operations
   * still running fail.
   */
  async dispose(): Promise<void> {
    const mounts = [...this.#mounts.values(), ...this.#retiring];
    this.#mounts.clear();
    this.#retiring.clear();
    const results = await Promise.allSettled(mounts.map((m) => m.dispose()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  // ---- building mounts ---------------------------------------------------------------------------------------

  async #install(plans: readonly MountPlan[]): Promise<void> {
    const created: Mount[] = [];
    let installed = false;
    // Mounts of this batch are visible to the batch's zip mounts while it is installed, then only #mounts counts.
    const lookup = (name: string) =>
      this.#mounts.get(name) ?? (installed ? undefined : created.find((m) => m.name === name));
    // What a zip mount's error names as there: the mounts in place and those of this batch built so far.
    const available = () => [...new Set([...this.#mounts.keys(), ...created.map((m) => m.name)])].sort();
    // Mounts that read an archive on another mount (`archive: 'mount:path'`) are built after the others.
    const ordered = [...plans.filter((p) => !archiveOf(p)), ...plans.filter((p) => archiveOf(p))];
    try {
      for (const plan of ordered)
        created.push(
          plan.kind === 'backend'
            ? await this.#createBackendMount(plan, lookup, available)
            : this.#createRelativeMount(plan, lookup),
        );
      this.#checkRelatives(created);
    } catch (err) {
      await Promise.allSettled(created.map((m) => m.dispose()));
      throw err;
    }
    installed = true;
    const replaced: Mount[] = [];
    for (const mount of created) {
      const old = this.#mounts.get(mount.name);
      if (old) replaced.push(old);
      this.#mounts.set(mount.name, mount);
    }
    await this.#retire(replaced);
  }

  /**
   * Mounts that are no longer in the table (replaced or removed) close their backends once the operations already
   * running on them end, not under them: a read stream, an upload or a listing started before keeps going. Nodes
   * resolve their mount at each call, so nothing new starts on them. An idle one is closed before this returns; a
   * busy one drains in the background.
   */
  async #retire(mounts: readonly Mount[]): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const mount of mounts) {
      const idle = mount.idle;
      this.#retiring.add(mount);
      const retired = mount
        .retire()
        .catch((err: unknown) =>
          this.warn(`[ufs] mount "${mount.name}": closing the replaced backend failed: ${(err as Error).message}`),
        )
        .finally(() => this.#retiring.delete(mount));
      if (idle) closing.push(retired);
    }
    await Promise.all(closing);
  }

  async #createBackendMount(
    plan: BackendMountPlan,
    lookup: (name: string) => Mount | undefined,
    available: () => string[],
  ): Promise<Mount> {
    let definition: BackendDefinition;
    try {
      definition = await loadBackend(plan.protocol, plan.name);
    } catch (err) {
      if (err instanceof UfsError) throw err;
      throw configInvalid(plan.name, `cannot load the ${plan.protocol} backend: ${(err as Error).message}`, err);
    }
    let rawOptions = plan.options;
    if (plan.urlMismatch !== undefined && !hasOwnUrlOption(definition.options))
      throw configInvalid(plan.name, plan.urlMismatch);
    if (plan.url) {
      if (!definition.fromUrl)
        throw configInvalid(plan.name, `protocol "${definition.protocol}" cannot be given as a URL`);
      try {
        rawOptions = { ...definition.fromUrl(plan.url), ...plan.options };
      } catch (err) {
        throw configInvalid(plan.name, `"url": ${(err as Error).message.replace(/^\[ufs\] /, '')}`, err);
      }
    }
    if (typeof rawOptions.archive === 'string')
      rawOptions = this.#resolveArchive(plan.name, rawOptions, lookup, available);
    const parsed = definition.options.safeParse(rawOptions);
    if (!parsed.success) throw configInvalid(plan.name, describeIssues(parsed.error, rawOptions));
    let backend: StorageBackend;
    try {
      backend = await definition.create(parsed.data, { mountName: plan.name, env: this.#env });
    } catch (err) {
      if (err instanceof UfsError) throw err.withContext({ mount: plan.name, operation: 'configure' });
      throw configInvalid(
        plan.name,
        `cannot create the ${definition.protocol} backend: ${(err as Error).message}`,
        err,
      );
    }
    const built = buildLayers(plan.layers, { mountName: plan.name, logger: this.#logger });
    return new BackendMount({
      name: plan.name,
      permissions: plan.permissions,
      layers: built.layers,
      metrics: built.metrics,
      readonlyLayer: built.readonly,
      protocol: definition.protocol,
      backend,
    });
  }

  /**
   * `archive: 'mount:path/file.zip'` → `source` (the other mount's effective backend, looked up on every call so a
   * replaced mount is followed and a removed one fails with NOT_FOUND) + `key`.
   */
  #resolveArchive(
    mountName: string,
    raw: Record<string, unknown>,
    lookup: (name: string) => Mount | undefined,
    available: () => string[],
  ): Record<string, unknown> {
    const { archive, ...rest } = raw as { archive: string };
    const colon = archive.indexOf(':');
    if (colon <= 0) throw configInvalid(mountName, `"archive" must be "mount:path/to/file.zip", got "${archive}"`);
    const sourceName = archive.slice(0, colon);
    if (sourceName === mountName) throw configInvalid(mountName, `"archive" cannot be inside the mount itself`);
    if (!lookup(sourceName)) {
      throw configInvalid(
        mountName,
        `"archive": mount "${sourceName}" is not configured (mounts: ${available().join(', ') || '(none)'})`,
      );
    }
    return {
      ...rest,
      source: followMount(() => (lookup(sourceName) ?? this.resolveMount(sourceName)).backend()),
      key: archive.slice(colon + 1),
    };
  }

  /**
   * `lookup` sees the mounts of the batch being installed too (then only the table), so a zip mount of the same
   * batch can read its archive through this relative mount while the batch is built.
   */
  #createRelativeMount(
    plan: Extract<MountPlan, { kind: 'relative' }>,
    lookup: (name: string) => Mount | undefined,
  ): Mount {
    validateMountName(plan.parent);
    const built = buildLayers(plan.layers, { mountName: plan.name, logger: this.#logger });
    return new RelativeMount({
      name: plan.name,
      permissions: plan.permissions,
      layers: built.layers,
      metrics: built.metrics,
      readonlyLayer: built.readonly,
      parent: plan.parent,
      prefix: plan.prefix,
      lookup,
    });
  }

  /** Every relative mount's parent chain ends at a real mount, without cycles. */
  #checkRelatives(created: readonly Mount[]): void {
    const after = new Map(this.#mounts);
    for (const mount of created) after.set(mount.name, mount);
    for (const mount of after.values()) {
      const chain = [mount.name];
      let current: Mount | undefined = mount;
      while (current instanceof RelativeMount) {
        const parent: Mount | undefined = after.get(current.parent);
        if (!parent) throw configInvalid(current.name, `"path": parent mount "${current.parent}" is not configured`);
        if (chain.includes(parent.name))
          throw configInvalid(mount.name, `relative mounts form a cycle: ${[...chain, parent.name].join(' -> ')}`);
        chain.push(parent.name);
        current = parent;
      }
    }
  }
}

function archiveOf(plan: MountPlan): boolean {
  return plan.kind === 'backend' && (plan.protocol === 'zip' || typeof plan.options.archive === 'string');
}

/** A backend that forwards every call to whatever `current()` returns at that moment. */
function followMount(current: () => StorageBackend): StorageBackend {
  return new Proxy({} as StorageBackend, {
    get(_target, property) {
      const backend = current();
      const value = (backend as unknown as Record<PropertyKey, unknown>)[property];
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(backend) : value;
    },
    has(_target, property) {
      return property in current();
    },
  });
}
