import { GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import { capabilities, UfsError, type StorageBackend } from '@org/core';
import type { ClientChoice } from './client.js';
import { s3Context, type S3Context } from './context.js';
import { copy, setMetadata } from './copier.js';
import { remove } from './deleter.js';
import { encodePath, KeyMap } from './keys.js';
import { list } from './lister.js';
import type { S3Options } from './options.js';
import { presignGet, presignPut } from './presigner.js';
import { read, stat } from './reader.js';
import { versions } from './versions.js';
import { write } from './writer.js';

/** `versioning: 'auto'` asks the bucket; a bucket that cannot be asked (no permission, unreachable) counts as not versioned. */
async function versioningEnabled(s3: S3Context, setting: S3Options['versioning']): Promise<boolean> {
  if (setting !== 'auto') return setting;
  try {
    const answer = await s3.client.send(new GetBucketVersioningCommand({ Bucket: s3.bucket }));
    return answer.Status === 'Enabled';
  } catch {
    return false;
  }
}

/**
 * The s3 backend object. S3 has a flat namespace: folders are common prefixes (`directories: false`, mkdir is a
 * no-op); there is no native rename (`rename: false`: the node layer copies then deletes) and no append.
 */
export async function createS3Backend(options: S3Options, choice: ClientChoice): Promise<StorageBackend> {
  const keys = new KeyMap(options.bucket, options.prefix);
  const s3 = s3Context(choice.client, keys, options);
  const versioning = await versioningEnabled(s3, options.versioning);
  const publicBase = options.publicBaseUrl?.replace(/\/+$/, '');
  const backend: StorageBackend = {
    protocol: 's3',
    capabilities: capabilities({
      read: true,
      write: true,
      delete: true,
      list: true,
      recursiveList: true,
      range: true,
      copy: true,
      presignGet: true,
      presignPut: true,
      publicUrl: publicBase !== undefined,
      versioning,
      versionDelete: versioning,
      metadata: true,
      storedHash: 'md5',
      atomicWrite: true,
      conditionalWrite: options.conditionalWrite,
    }),
    stat: (key, opts) => stat(s3, key, opts),
    read: (key, opts) => read(s3, key, opts),
    write: (key, source, opts) => write(s3, key, source, opts),
    list: (key, opts) => list(s3, key, opts),
    delete: (key, opts) => remove(s3, key, opts),
    // Folders exist while objects lie below them; there is nothing to create.
    mkdir: async () => undefined,
    copy: (from, to, opts) => copy(s3, from, to, opts),
    presignGet: (key, opts) => presignGet(s3, key, opts),
    presignPut: (key, opts) => presignPut(s3, key, opts),
    setMetadata: (key, metadata) => setMetadata(s3, key, metadata),
    versions: async (key) => {
      if (!versioning) {
        throw new UfsError(
          'UNSUPPORTED',
          `[ufs] [s3] versions "${key}": versioning is not enabled on bucket "${options.bucket}"`,
          { context: { backend: 's3', operation: 'versions', path: key } },
        );
      }
      return versions(s3, key);
    },
    dispose: async () => {
      if (choice.owned) choice.client.destroy();
    },
  };
  if (publicBase !== undefined) {
    backend.publicUrl = (key) => `${publicBase}/${encodePath(keys.object(key, 'publicUrl'))}`;
  }
  return backend;
}
