import type { StorageBackend } from '@org/core';
import { StorageManager, type MountConfig } from '@org/storage';

export interface ContentMount {
  backend: StorageBackend;
  /** For logs: protocol and where (never credentials). /health, which needs no key, shows only the protocol. */
  description: string;
  dispose(): Promise<void>;
}

/**
 * Opens the content mount through @org/storage: a URL (`file:///srv/ufs/content`, `s3://bucket/prefix?…`), a mount
 * config object, or a plain folder path.
 */
export async function openContentMount(
  target: string | Omit<MountConfig, 'name'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ContentMount> {
  const storage = new StorageManager({ env: env as Record<string, string | undefined> });
  if (typeof target !== 'string') await storage.addMount('content', target);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) await storage.addMount('content', target);
  else await storage.addMount('content', { protocol: 'local', root: target });
  const backend = storage.resolveMount('content').backend();
  const where = typeof target === 'string' ? target.replace(/\/\/[^@/]*@/, '//') : backend.protocol;
  return { backend, description: `${backend.protocol} ${where.split('?')[0]}`, dispose: () => storage.dispose() };
}
