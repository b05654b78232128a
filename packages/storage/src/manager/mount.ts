import { applyLayers, type BackendCapabilities, type Layer, type StorageBackend } from '@org/core';
import { configInvalid } from '../errors.js';
import type { MetricsLayer, MetricsSnapshot } from '../layers/metrics.js';
import { permissionLayer, permits, type Access, type Permission } from '../layers/permission.js';
import { InFlight } from './in-flight.js';
import { subfolderBackend } from './subfolder-backend.js';

/** What the manager tells about a mount. */
export interface MountInfo {
  name: string;
  kind: 'backend' | 'relative';
  /** The backend protocol (for a relative mount, its parent's). */
  protocol: string;
  /**
   * The effective permission: what an operation through this mount is really allowed. The most restrictive of the
   * mount's own permission, a `readonly` layer (as `readonly`) and, for a relative mount, its parents' (a
   * `delete` child of a `readonly` parent is `readonly`).
   */
  permissions: Permission;
  /** Capabilities after layers and permissions: what this mount really lets you do. */
  capabilities: BackendCapabilities;
  /** For relative mounts: the parent mount and the folder in it. */
  parent?: string;
  prefix?: string;
}

/** Who refuses an access: the mount whose permission (or read-only layer) forbids it. */
export interface Denial {
  mount: string;
  reason: string;
}

interface MountSettings {
  name: string;
  permissions: Permission;
  layers: readonly Layer[];
  metrics?: MetricsLayer;
  /** A `readonly` layer is configured. */
  readonlyLayer: boolean;
}

/** A configured mount: its effective backend (backend → layers → permissions). */
export abstract class Mount {
  readonly name: string;
  readonly permissions: Permission;
  protected readonly settings: MountSettings;

  protected constructor(settings: MountSettings) {
    this.name = settings.name;
    this.permissions = settings.permissions;
    this.settings = settings;
  }

  /** The backend every node operation goes through. */
  abstract backend(): StorageBackend;
  /**
   * Where a key of this mount really lives: the backend instance that holds it (relative mounts resolved to their
   * parent's, before layers) and the key in it. Two nodes with the same location are the same object.
   */
  abstract locate(key: string): { backend: StorageBackend; key: string };
  abstract info(): MountInfo;
  /**
   * The protocol errors about this mount name in brackets, as its backend's own errors do (`[local] read "docs:a"`):
   * the backend's, or for a relative mount its parent's; undefined when it cannot be known (the parent is gone).
   */
  abstract protocolName(): string | undefined;
  /** Closes the backend now (operations still running on it may fail). Idempotent. */
  abstract dispose(): Promise<void>;
  /** Closes the backend once the operations running on it have ended (a replaced or removed mount). */
  abstract retire(): Promise<void>;
  /** No operation is running on the backend (retiring closes it at once). */
  abstract get idle(): boolean;

  get capabilities(): BackendCapabilities {
    return this.backend().capabilities;
  }

  metrics(): MetricsSnapshot | undefined {
    return this.settings.metrics?.snapshot();
  }

  /** The mount (this one or a parent) whose permissions forbid this access, if any. */
  denial(access: Access): Denial | undefined {
    if (!permits(this.permissions, access))
      return { mount: this.name, reason: `mount "${this.name}" is ${this.permissions}` };
    if (this.settings.readonlyLayer && access !== 'read')
      return { mount: this.name, reason: `mount "${this.name}" has a readonly layer` };
    return undefined;
  }

  /** The permission in effect through this mount (see `MountInfo.permissions`), from `denial`. */
  effectivePermission(): Permission {
    if (this.denial('write')) return 'readonly';
    if (this.denial('delete')) return 'readwrite';
    return 'delete';
  }

  protected wrap(inner: StorageBackend): StorageBackend {
    return permissionLayer(this.permissions, this.name)(applyLayers(inner, this.settings.layers));
  }
}

/** A mount that owns a backend created from its protocol. */
export class BackendMount extends Mount {
  readonly protocol: string;
  readonly raw: StorageBackend;
  private readonly effective: StorageBackend;
  private readonly inFlight = new InFlight();
  private disposed: Promise<void> | undefined;

  constructor(settings: MountSettings & { protocol: string; backend: StorageBackend }) {
    super(settings);
    this.protocol = settings.protocol;
    this.raw = settings.backend;
    // Counted below the layers: the operations of relative mounts on this one go through it too.
    this.effective = this.wrap(this.inFlight.layer(settings.backend));
  }

  backend(): StorageBackend {
    return this.effective;
  }

  locate(key: string): { backend: StorageBackend; key: string } {
    return { backend: this.raw, key };
  }

  protocolName(): string {
    return this.protocol;
  }

  info(): MountInfo {
    return {
      name: this.name,
      kind: 'backend',
      protocol: this.protocol,
      permissions: this.effectivePermission(),
      capabilities: this.capabilities,
    };
  }

  dispose(): Promise<void> {
    this.disposed ??= Promise.resolve().then(() => this.raw.dispose?.());
    return this.disposed;
  }

  async retire(): Promise<void> {
    await this.inFlight.drained();
    await this.dispose();
  }

  get idle(): boolean {
    return this.inFlight.count === 0;
  }
}

/** A folder of another mount, seen as a mount; its parent is looked up by name on each access. */
export class RelativeMount extends Mount {
  readonly parent: string;
  readonly prefix: string;
  private readonly lookup: (name: string) => Mount | undefined;
  private cache: { parent: StorageBackend; effective: StorageBackend } | undefined;

  constructor(
    settings: MountSettings & { parent: string; prefix: string; lookup: (name: string) => Mount | undefined },
  ) {
    super(settings);
    this.parent = settings.parent;
    this.prefix = settings.prefix;
    this.lookup = settings.lookup;
  }

  private parentMount(): Mount {
    const parent = this.lookup(this.parent);
    if (!parent)
      throw configInvalid(this.name, `parent mount "${this.parent}" of this relative mount is not configured`);
    return parent;
  }

  backend(): StorageBackend {
    const parent = this.parentMount().backend();
    if (this.cache?.parent !== parent)
      this.cache = { parent, effective: this.wrap(subfolderBackend(parent, this.prefix)) };
    return this.cache.effective;
  }

  locate(key: string): { backend: StorageBackend; key: string } {
    const prefix = this.prefix;
    return this.parentMount().locate(prefix === '' ? key : key === '' ? prefix : `${prefix}/${key}`);
  }

  protocolName(): string | undefined {
    return this.lookup(this.parent)?.protocolName();
  }

  override denial(access: Access): Denial | undefined {
    return super.denial(access) ?? this.parentMount().denial(access);
  }

  info(): MountInfo {
    return {
      name: this.name,
      kind: 'relative',
      protocol: this.parentMount().info().protocol,
      permissions: this.effectivePermission(),
      capabilities: this.capabilities,
      parent: this.parent,
      prefix: this.prefix,
    };
  }

  async dispose(): Promise<void> {
    this.cache = undefined;
  }

  /** Owns nothing: its operations run on the parent's backend, which drains them. */
  retire(): Promise<void> {
    return this.dispose();
  }

  get idle(): boolean {
    return true;
  }
}
