import { debuglog } from 'node:util';
import { GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import { capabilities, type StorageBackend } from '@org/core';
import { urlJoiner } from '../../util/join-url.js';
import type { LocatedBackend } from '../../util/location.js';
import type { ClientChoice } from './client.js';
import { s3Context, type S3Context } from './context.js';
import { copy, setMetadata } from './copier.js';
import { remove } from './deleter.js';
import { mkdir } from './folders.js';
import { encodePath, KeyMap } from './keys.js';
import { list } from './lister.js';
import { s3Location } from './location.js';
import type { S3Options } from './options.js';
import { MAX_EXPIRY, presignGet, presignPut } from './presigner.js';
import { read, stat } from './reader.js';
import { versions } from './versions.js';
import { write } from './writer.js';

/** Debug output, off unless `NODE_DEBUG=ufs-s3` (the backend has no logger of its own). */
const debug = debuglog('ufs-s3');

/**
 * `versioning: 'auto'` asks the bucket; a bucket that cannot be asked (no permission, unreachable, no answer within
 * the client's timeouts) counts as not versioned.
 */
async function versioningEnabled(s3: S3Context, setting: S3Options['versioning']): Promise<boolean> {
  if (setting !== 'auto') return setting;
  try {
    const answer = await s3.client.send(new GetBucketVersioningCommand({ Bucket: s3.bucket }));
    return answer.Status === 'Enabled';
  } catch (err) {
    debug('%s; the mount counts as not versioned', s3.fail(err, 'versioning').message);
    return false;
  }
}

/**
 * The s3 backend object. S3 has a flat namespace: folders are common prefixes (`directories: false`; mkdir writes a
 * `key/` marker object, as OpenDAL and the AWS console do); there is no native rename (`rename: false`: the node
 * layer copies then deletes) and no append.
 */
export async function createS3Backend(
  options: S3Options,
  choice: ClientChoice,
  mountName = 's3',
): Promise<StorageBackend> {
  const keys = new KeyMap(options.bucket, options.prefix, mountName);
  const s3 = s3Context(choice.client, keys, options, choice.connection);
  const versioning = await versioningEnabled(s3, options.versioning);
  const publicBase = options.publicBaseUrl;
  const backend: LocatedBackend = {
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
      presignMaxSeconds: MAX_EXPIRY,
      publicUrl: publicBase !== undefined,
      versioning,
      versionDelete: versioning,
      metadata: true,
      storedHash: 'md5',
      atomicWrite: true,
      // As user metadata `mtime` (util/mtime-metadata.ts), read back by stat() before LastModified.
      setModified: true,
      // RFC 3339 with milliseconds in the `mtime` metadata entry.
      modifiedPrecisionMs: 1,
      conditionalWrite: options.conditionalWrite,
    }),
    stat: (key, opts) => stat(s3, key, opts),
    read: (key, opts) => read(s3, key, opts),
    write: (key, source, opts) => write(s3, key, source, opts),
    list: (key, opts) => list(s3, key, opts),
    delete: (key, opts) => remove(s3, key, opts),
    // A folder exists while objects lie below it; mkdir writes the marker object `key/` (see folders.ts).
    mkdir: (key, opts) => mkdir(s3, key, opts),
    copy: (from, to, opts) => copy(s3, from, to, opts),
    presignGet: (key, opts) => presignGet(s3, key, opts),
    presignPut: (key, opts) => presignPut(s3, key, opts),
    setMetadata: (key, metadata) => setMetadata(s3, key, metadata),
    versions: async (key) => {
      if (!versioning) {
        throw s3.error('UNSUPPORTED', 'versions', key, `versioning is not enabled on bucket "${options.bucket}"`);
      }
      return versions(s3, key);
    },
    location: async (key) => s3Location(options, keys, key),
    dispose: async () => {
      if (choice.owned) choice.client.destroy();
    },
  };
  if (publicBase !== undefined) {
    const urlOf = urlJoiner(publicBase);
    backend.publicUrl = (key) => urlOf(encodePath(keys.object(key, 'publicUrl')));
  }
  return backend;
}
