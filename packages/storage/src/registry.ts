import { UfsError } from '@org/core';
import type { BackendDefinition } from './backend-definition.js';

type Loader = () => Promise<BackendDefinition>;

/**
 * The checked-in registry of protocols. Each entry loads its backend module (and so its SDK) only when a mount of
 * that protocol is configured. A test checks this list against the files in `backends/`.
 */
export const BACKEND_LOADERS: Readonly<Record<string, Loader>> = Object.freeze({
  local: async () => (await import('./backends/local/index.js')).default,
  memory: async () => (await import('./backends/memory/index.js')).default,
  s3: async () => (await import('./backends/s3/index.js')).default,
  http: async () => (await import('./backends/http/index.js')).default,
  base64: async () => (await import('./backends/base64/index.js')).default,
  dropbox: async () => (await import('./backends/dropbox/index.js')).default,
  azure: async () => (await import('./backends/azure/index.js')).default,
  gcs: async () => (await import('./backends/gcs/index.js')).default,
  sftp: async () => (await import('./backends/sftp/index.js')).default,
  webdav: async () => (await import('./backends/webdav/index.js')).default,
  zip: async () => (await import('./backends/zip/index.js')).default,
});

/** Other names accepted for a protocol (`file://` URLs, `data:` URIs, `https`, `webdavs://` for WebDAV over TLS). */
export const PROTOCOL_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  file: 'local',
  fs: 'local',
  mem: 'memory',
  data: 'base64',
  https: 'http',
  azblob: 'azure',
  gs: 'gcs',
  dav: 'webdav',
  webdavs: 'webdav',
  davs: 'webdav',
});

export function knownProtocols(): string[] {
  return Object.keys(BACKEND_LOADERS).sort();
}

export function resolveProtocol(name: string): string {
  return PROTOCOL_ALIASES[name] ?? name;
}

/** Loads a backend definition; an unknown protocol is CONFIG_INVALID listing the known ones. */
export async function loadBackend(protocol: string, mountName?: string): Promise<BackendDefinition> {
  const resolved = resolveProtocol(protocol);
  const loader = Object.hasOwn(BACKEND_LOADERS, resolved) ? BACKEND_LOADERS[resolved] : undefined;
  if (!loader) {
    const where = mountName ? ` for mount "${mountName}"` : '';
    throw new UfsError(
      'CONFIG_INVALID',
      `[ufs] unknown protocol "${protocol}"${where}; known protocols: ${knownProtocols().join(', ')}`,
      { context: { operation: 'configure', mount: mountName } },
    );
  }
  return loader();
}
