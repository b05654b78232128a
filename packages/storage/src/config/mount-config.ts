import { normalizeKey, redactUrl } from '@org/core';
import { z } from 'zod';
import { configInvalid } from '../errors.js';
import { PERMISSIONS, type Permission } from '../layers/permission.js';
import { resolveProtocol } from '../registry.js';
import { interpolateEnv, type Env } from './interpolate.js';
import { layerConfigSchema, type LayerConfig } from './layer-config.js';
import { describeIssues } from './zod-issues.js';

/**
 * One mount as configured: a name, then either a `protocol` with the protocol's own keys, a `url`
 * (`s3://bucket/prefix?region=…`, `file:///srv/data`, `memory://`), or a relative `path` (`parent:sub/dir`).
 */
export interface MountConfig {
  name: string;
  protocol?: string;
  url?: string;
  /** A relative mount: a folder of another mount, `parent:sub/dir` (when no `protocol` is given). */
  path?: string;
  /** `readonly`, `readwrite` or `delete` (everything; the default). */
  permissions?: Permission;
  layers?: LayerConfig[];
  /** The protocol's own keys (`root`, `bucket`, `region`, …). */
  [key: string]: unknown;
}

const MOUNT_NAME = /^[A-Za-z0-9_-]+$/;

/** Mount names: letters, digits, `-` and `_` (so never `:` or `/`). */
export function validateMountName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw configInvalid(undefined, 'every mount needs a "name"');
  if (!MOUNT_NAME.test(name) || name.length > 100) {
    throw configInvalid(
      name,
      '"name" may hold only letters, digits, "-" and "_" (no ":" or "/"), at most 100 characters',
    );
  }
  return name;
}

const baseSchema = z.object({
  name: z.string(),
  protocol: z.string().min(1).optional(),
  url: z.string().min(1).optional(),
  permissions: z.enum(PERMISSIONS as [Permission, ...Permission[]]).optional(),
  layers: z.array(layerConfigSchema).optional(),
});

export interface PlanBase {
  name: string;
  permissions: Permission;
  layers: z.output<typeof layerConfigSchema>[];
}

export interface BackendMountPlan extends PlanBase {
  kind: 'backend';
  /** Canonical protocol (aliases resolved). */
  protocol: string;
  url?: URL;
  /** The protocol's own keys, not yet validated by its schema. */
  options: Record<string, unknown>;
  /**
   * Set when `protocol` is given with a `url` of another scheme: the `url` is then in `options`, as the backend's own
   * option (WebDAV's `url: https://…`). A backend without a `url` option refuses the mount with this message.
   */
  urlMismatch?: string;
}

export interface RelativeMountPlan extends PlanBase {
  kind: 'relative';
  parent: string;
  /** Normalised folder inside the parent. */
  prefix: string;
}

export type MountPlan = BackendMountPlan | RelativeMountPlan;

/** True for strings that are mount URLs rather than relative paths (`scheme://…`, `data:`). */
export function looksLikeUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^data:/i.test(value);
}

function parseRelative(name: string, path: string): { parent: string; prefix: string } {
  const colon = path.indexOf(':');
  if (colon <= 0)
    throw configInvalid(
      name,
      `"path" must be "mount:folder" for a relative mount (or give a "protocol"), got ${JSON.stringify(path)}`,
    );
  const parent = path.slice(0, colon);
  if (!MOUNT_NAME.test(parent)) throw configInvalid(name, `"path": ${JSON.stringify(parent)} is not a mount name`);
  try {
    return { parent, prefix: normalizeKey(path.slice(colon + 1)) };
  } catch (err) {
    throw configInvalid(name, `"path": ${(err as Error).message.replace(/^\[ufs\] /, '')}`, err);
  }
}

/** Validates only the keys every mount has (name, permissions, layers): for mounts of ready-made backends. */
export function planSettings(raw: { name: string; permissions?: unknown; layers?: unknown }, env: Env): PlanBase {
  const name = validateMountName(raw.name);
  const config = interpolateEnv(raw, env, name);
  const base = baseSchema.safeParse(config);
  if (!base.success) throw configInvalid(name, describeIssues(base.error, config));
  return { name, permissions: base.data.permissions ?? 'delete', layers: base.data.layers ?? [] };
}

/**
 * Validates the common keys of a mount, interpolates `${ENV}` in its strings and decides what kind of mount it is.
 * The protocol's own keys are validated later against its backend definition.
 */
export function planMount(raw: unknown, env: Env): MountPlan {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw configInvalid(undefined, 'each mount must be an object');
  const name = validateMountName((raw as { name?: unknown }).name);
  const config = interpolateEnv(raw as Record<string, unknown>, env, name);
  const base = baseSchema.safeParse(config);
  if (!base.success) throw configInvalid(name, describeIssues(base.error, config));
  const { protocol, url, permissions = 'delete', layers = [] } = base.data;
  const { name: _name, protocol: _protocol, url: _url, permissions: _permissions, layers: _layers, ...extra } = config;
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      // Named without its user info (`user:password@`) or secret query values.
      throw configInvalid(name, `"url": ${JSON.stringify(redactUrl(url))} is not a valid URL`, err);
    }
    const fromUrl = resolveProtocol(parsed.protocol.slice(0, -1).toLowerCase());
    if (protocol !== undefined && resolveProtocol(protocol) !== fromUrl) {
      // Not a mount URL but maybe the backend's own `url` option (WebDAV's): decided once its schema is known.
      const urlMismatch = `"protocol" "${protocol}" does not match the URL scheme "${parsed.protocol}"`;
      const options = { ...extra, url };
      return { kind: 'backend', name, protocol: resolveProtocol(protocol), options, permissions, layers, urlMismatch };
    }
    return { kind: 'backend', name, protocol: fromUrl, url: parsed, options: extra, permissions, layers };
  }
  if (protocol !== undefined)
    return { kind: 'backend', name, protocol: resolveProtocol(protocol), options: extra, permissions, layers };
  if (typeof extra.path === 'string') {
    const keys = Object.keys(extra).filter((k) => k !== 'path');
    if (keys.length > 0)
      throw configInvalid(
        name,
        `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')} for a relative mount`,
      );
    return { kind: 'relative', name, ...parseRelative(name, extra.path), permissions, layers };
  }
  throw configInvalid(name, '"protocol" is required (or give a "url", or a relative "path": "mount:folder")');
}

/** True when a backend's options schema has a `url` key of its own (WebDAV's collection URL). */
export function hasOwnUrlOption(schema: unknown): boolean {
  const shape = (schema as { shape?: unknown } | null)?.shape;
  return typeof shape === 'object' && shape !== null && 'url' in shape;
}
