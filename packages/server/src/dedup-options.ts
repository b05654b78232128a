import { hostname } from 'node:os';
import { UfsError, type StorageBackend } from '@org/core';
import { DEFAULT_BODY_IDLE_TIMEOUT_MS } from './content/request-body.js';
import { parseCorsOrigins } from './http/cors.js';
import type { MetadataStore } from './store/store.js';

/** Where metadata lives: MongoDB, the embedded SQLite file, or a ready store (tests, embedding). */
export type StoreOptions =
  | { mongoUri: string; dbName?: string; serverSelectionTimeoutMS?: number; connectRetries?: number }
  | { sqlitePath: string }
  | { instance: MetadataStore };

export interface DedupModuleOptions {
  store: StoreOptions;
  /** The content mount: any StorageBackend (a folder by default, S3 in production). */
  content: StorageBackend;
  /**
   * Where the content lives, for the embedder's own logs (e.g. `local /srv/ufs/content`). Not shown by /health, which
   * anyone may read: it names only the mount's protocol.
   */
  contentDescription?: string;
  /** Largest accepted upload in bytes (413 past it), 1 to Number.MAX_SAFE_INTEGER. Default 10 GiB. */
  maxUploadBytes?: number;
  /** Requests per minute per API key, counted in the store (shared by replicas). 0 disables. Default 60,000. */
  rateLimitPerMinute?: number;
  /** Content younger than this is never garbage-collected, nor are temp objects: 0 to 10 years. Default 1 h. */
  gcGraceMs?: number;
  /** How long a GC/repair claim on a hash lasts before others may take it over. Default 5 min. */
  deleteLeaseMs?: number;
  /** How long an upload waits for a GC of the same hash to finish before answering 503. Default 30 s. */
  waitForGcMs?: number;
  /**
   * A streamed upload (`PUT /files/{sha256}/content`, `POST /upload_file/{sha256}`, `PATCH /tus/{id}`) whose body sends
   * no byte for this long has its connection closed, as if its client went away (its temporary object removed; a tus
   * PATCH keeps what arrived): 1 ms to a day. Keep it well under gcGraceMs (which removes older temporary objects).
   * Default 90 s.
   */
  bodyIdleTimeoutMs?: number;
  /** Lifetime of a tus upload session: 1 ms to 10 years. Default 24 h. */
  uploadExpiryMs?: number;
  /** `last_used_at` of a key is written at most this often. Default 60 s (0: on every request). */
  keyTouchIntervalMs?: number;
  /**
   * How long a replica may reuse an API key record it read (per key hash) instead of reading it again. Revocation on
   * the same replica is immediate; on other replicas it takes effect within this time. Default 1 s (0: read on every
   * request; at most a day).
   */
  keyCacheMs?: number;
  /** Serve /metrics without an API key (for Prometheus scrapers). Default false. */
  publicMetrics?: boolean;
  /** Largest number of records in one batch put. Default 1000. */
  maxBatch?: number;
  /**
   * HMAC secret of signed content URLs (`POST /files/{sha256}/share`), at least 16 characters; every replica must
   * have the same one. Default: a random secret created once in the store (insert-if-absent, shared by replicas).
   */
  signingSecret?: string;
  /**
   * CORS for browser tus clients on other origins: `*`, or the allowed origins (`https://app.example`). Responses
   * under `/tus` then carry `Access-Control-Allow-Origin`, expose the tus headers, and preflights are answered.
   * Default: none (no `Access-Control-*` headers).
   */
  tusCorsOrigin?: string | readonly string[];
  /**
   * How long `GET /health/ready` reuses a readiness result (ms): however many load balancers ask, a replica runs one
   * probe per interval, and requests arriving while one runs share it. Default 2000 (0: a probe per request, still
   * shared by concurrent requests).
   */
  readinessCacheMs?: number;
  /** A readiness check that has not answered within this many ms fails (`timeout`). Default 1000. */
  readinessTimeoutMs?: number;
  /**
   * Readiness also does in the content mount what an upload does: a tiny object written under `_tmp/`, moved into a
   * new folder `_probe-<replicaId>-<nonce>/`, then all of it removed (never listed as content). Off by default (on
   * S3 every probe is a PUT, a COPY and two DELETE requests): readiness then lists the mount.
   */
  readinessContentProbe?: boolean;
  /**
   * This replica's name in the content probe's keys (`_probe-<replicaId>-…`): letters, digits, `.`, `_`, `-`, at most 64.
   * Default: the host name and process id.
   */
  replicaId?: string;
}

export type DedupConfig = Required<
  Omit<DedupModuleOptions, 'store' | 'content' | 'contentDescription' | 'signingSecret' | 'tusCorsOrigin' | 'replicaId'>
> & {
  replicaId: string;
  contentDescription: string;
  signingSecret: string | null;
  /** `*`, the allowed origins, or null (no CORS headers). */
  tusCorsOrigin: '*' | readonly string[] | null;
};

const MIN_SECRET_LENGTH = 16;
const REPLICA_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The default replica id: host name and process id, reduced to the characters a replica id may have. */
export function defaultReplicaId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 50) || 'host';
  return `${host}-${process.pid}`;
}

/** A day and ten years in ms: the longest readiness interval, and the longest of the other durations. */
const DAY_MS = 86_400_000;
export const MAX_DURATION_MS = 3653 * DAY_MS;

/** A whole number of milliseconds within [min, max] (default: a day), or CONFIG_INVALID naming the option. */
function milliseconds(name: string, value: number | undefined, fallback: number, min: number, max = DAY_MS): number {
  return wholeNumber(name, value, fallback, min, max, 'milliseconds');
}

/** A whole number within [min, max], or CONFIG_INVALID naming the option and the range. */
function wholeNumber(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  unit: string,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] ${name} must be a whole number of ${unit} from ${min} to ${max} (got ${String(value)})`,
    );
  }
  return value;
}

export function resolveConfig(options: DedupModuleOptions): DedupConfig {
  const secret = options.signingSecret;
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] signingSecret must be at least ${MIN_SECRET_LENGTH} characters (got ${secret.length})`,
    );
  }
  const replicaId = options.replicaId ?? defaultReplicaId();
  if (!REPLICA_ID.test(replicaId)) {
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] replicaId must be 1 to 64 letters, digits, ".", "_" or "-" (got ${JSON.stringify(replicaId)})`,
    );
  }
  return {
    signingSecret: secret ?? null,
    tusCorsOrigin: parseCorsOrigins(options.tusCorsOrigin),
    contentDescription: options.contentDescription ?? options.content.protocol,
    maxUploadBytes: wholeNumber(
      'maxUploadBytes',
      options.maxUploadBytes,
      10 * 1024 ** 3,
      1,
      Number.MAX_SAFE_INTEGER,
      'bytes',
    ),
    rateLimitPerMinute: wholeNumber(
      'rateLimitPerMinute',
      options.rateLimitPerMinute,
      60_000,
      0,
      Number.MAX_SAFE_INTEGER,
      'requests',
    ),
    gcGraceMs: milliseconds('gcGraceMs', options.gcGraceMs, 3_600_000, 0, MAX_DURATION_MS),
    deleteLeaseMs: options.deleteLeaseMs ?? 300_000,
    waitForGcMs: options.waitForGcMs ?? 30_000,
    bodyIdleTimeoutMs: milliseconds('bodyIdleTimeoutMs', options.bodyIdleTimeoutMs, DEFAULT_BODY_IDLE_TIMEOUT_MS, 1),
    uploadExpiryMs: milliseconds('uploadExpiryMs', options.uploadExpiryMs, 86_400_000, 1, MAX_DURATION_MS),
    keyTouchIntervalMs: options.keyTouchIntervalMs ?? 60_000,
    keyCacheMs: milliseconds('keyCacheMs', options.keyCacheMs, 1000, 0),
    publicMetrics: options.publicMetrics ?? false,
    maxBatch: options.maxBatch ?? 1000,
    readinessCacheMs: milliseconds('readinessCacheMs', options.readinessCacheMs, 2000, 0),
    readinessTimeoutMs: milliseconds('readinessTimeoutMs', options.readinessTimeoutMs, 1000, 1),
    readinessContentProbe: options.readinessContentProbe ?? false,
    replicaId,
  };
}

export const DEDUP_OPTIONS = Symbol('ufs.DedupOptions');
export const DEDUP_CONFIG = Symbol('ufs.DedupConfig');
export const CONTENT_BACKEND = Symbol('ufs.ContentBackend');
