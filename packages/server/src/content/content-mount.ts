import type { StorageBackend } from '@org/core';
import { StorageManager, type MountConfig } from '@org/storage';

export interface ContentMount {
  backend: StorageBackend;
  /** For logs: protocol and where (never credentials). /health, which needs no key, shows only the protocol. */
  description: string;
  dispose(): Promise<void>;
}

/**
 * How long the server's content mount waits for an S3 service that stops answering, unless its configuration says:
 * a request is answered (503) within about 2 × 15 s, not the S3 defaults' 3 × 60 s (see openContentMount).
 */
export const CONTENT_S3_DEFAULTS: Readonly<Record<'connectTimeoutMs' | 'timeoutMs' | 'maxAttempts', number>> =
  Object.freeze({ connectTimeoutMs: 15_000, timeoutMs: 15_000, maxAttempts: 2 });

/** An `s3://` URL with CONTENT_S3_DEFAULTS for the parameters it does not give (`given`: set elsewhere); else as is. */
function boundedUrl(url: string, given: readonly string[] = []): string {
  if (!/^s3:\/\//i.test(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // the mount reports it
  }
  for (const [name, value] of Object.entries(CONTENT_S3_DEFAULTS))
    if (!parsed.searchParams.has(name) && !given.includes(name)) parsed.searchParams.set(name, String(value));
  return parsed.href;
}

/** The mount config with CONTENT_S3_DEFAULTS where it is an S3 mount that builds its own client and sets none. */
function bounded(target: Omit<MountConfig, 'name'>): Omit<MountConfig, 'name'> {
  const config = target as Record<string, unknown>;
  if (config.client !== undefined) return target;
  if (typeof config.url === 'string') return { ...target, url: boundedUrl(config.url, Object.keys(config)) };
  if (config.protocol !== 's3') return target;
  return { ...CONTENT_S3_DEFAULTS, ...target };
}

/**
 * Opens the content mount through @org/storage: a URL (`file:///srv/ufs/content`, `s3://bucket/prefix?…`), a mount
 * config object, or a plain folder path. An S3 mount that sets no `connectTimeoutMs`, `timeoutMs` or `maxAttempts`
 * gets CONTENT_S3_DEFAULTS (15 s, 15 s, 2 attempts) for them, so that a request to a service that stopped answering
 * fails within about 30 s instead of minutes.
 */
export async function openContentMount(
  target: string | Omit<MountConfig, 'name'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ContentMount> {
  const storage = new StorageManager({ env: env as Record<string, string | undefined> });
  if (typeof target !== 'string') await storage.addMount('content', bounded(target));
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) await storage.addMount('content', boundedUrl(target));
  else await storage.addMount('content', { protocol: 'local', root: target });
  const backend = storage.resolveMount('content').backend();
  const where = typeof target === 'string' ? target.replace(/\/\/[^@/]*@/, '//') : backend.protocol;
  return { backend, description: `${backend.protocol} ${where.split('?')[0]}`, dispose: () => storage.dispose() };
}
