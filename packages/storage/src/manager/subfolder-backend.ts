import type { EntryStat, StorageBackend } from '@org/core';

/**
 * A view of one folder of a backend as a backend of its own (relative mounts). Keys are normalised before they
 * get here, so `prefix/key` can never climb out of `prefix`; entries that come back are made relative again.
 * `dispose` is not forwarded: the folder's owner disposes the backend.
 */
export function subfolderBackend(inner: StorageBackend, prefix: string): StorageBackend {
  const outer = (key: string): string => (prefix === '' ? key : key === '' ? prefix : `${prefix}/${key}`);
  const relative = (key: string): string | undefined => {
    if (prefix === '') return key;
    if (key === prefix) return '';
    return key.startsWith(`${prefix}/`) ? key.slice(prefix.length + 1) : undefined;
  };
  const entry = (stat: EntryStat): EntryStat | undefined => {
    const key = relative(stat.key);
    return key === undefined ? undefined : { ...stat, key };
  };
  const backend: StorageBackend = {
    protocol: inner.protocol,
    capabilities: inner.capabilities,
    stat: async (key, options) => {
      const stat = await inner.stat(outer(key), options);
      return stat && { ...stat, key };
    },
    read: (key, options) => inner.read(outer(key), options),
    write: async (key, source, options) => ({ ...(await inner.write(outer(key), source, options)), key }),
    list: async (key, options) => {
      const page = await inner.list(outer(key), options);
      return { ...page, entries: page.entries.map(entry).filter((e): e is EntryStat => e !== undefined) };
    },
    delete: (key, options) => inner.delete(outer(key), options),
    mkdir: (key, options) => inner.mkdir(outer(key), options),
  };
  if (inner.copy) backend.copy = (from, to, options) => inner.copy!(outer(from), outer(to), options);
  if (inner.rename) backend.rename = (from, to) => inner.rename!(outer(from), outer(to));
  if (inner.append) backend.append = (key, source, options) => inner.append!(outer(key), source, options);
  if (inner.presignGet) backend.presignGet = (key, options) => inner.presignGet!(outer(key), options);
  if (inner.presignPut) backend.presignPut = (key, options) => inner.presignPut!(outer(key), options);
  if (inner.publicUrl) backend.publicUrl = (key) => inner.publicUrl!(outer(key));
  if (inner.versions) backend.versions = (key) => inner.versions!(outer(key));
  if (inner.setMetadata) backend.setMetadata = (key, metadata) => inner.setMetadata!(outer(key), metadata);
  if (inner.localPath) backend.localPath = (key) => inner.localPath!(outer(key));
  return backend;
}
