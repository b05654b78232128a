import { UfsError } from '@org/core';
import { defineBackend } from '../../backend-definition.js';
import { GcsBackend } from './backend.js';
import { connectGcs } from './client.js';
import { gcsOptionsSchema } from './options.js';
import { blobLocation, serviceBase, withLocation } from '../../util/location.js';

export { GcsBackend } from './backend.js';
export { gcsOptionsSchema, type GcsOptions } from './options.js';

/**
 * `gs://<bucket>/<prefix>?project=<id>&endpoint=<apiEndpoint>&versioning=true` (also `gcs://`). Credentials never go
 * in the URL: they come from GOOGLE_APPLICATION_CREDENTIALS or the other Application Default Credentials.
 */
function fromUrl(url: URL): Record<string, unknown> {
  const options: Record<string, unknown> = { bucket: decodeURIComponent(url.hostname) };
  const prefix = url.pathname
    .split('/')
    .filter(Boolean)
    .map((segment) => decodeURIComponent(segment))
    .join('/');
  if (prefix) options.prefix = prefix;
  const project = url.searchParams.get('project') ?? url.searchParams.get('projectId');
  if (project) options.projectId = project;
  const endpoint = url.searchParams.get('endpoint') ?? url.searchParams.get('apiEndpoint');
  if (endpoint) options.apiEndpoint = endpoint;
  const versioning = url.searchParams.get('versioning');
  if (versioning !== null) options.versioning = versioning === '' || versioning === '1' || versioning === 'true';
  for (const secret of ['credentials', 'private_key', 'key', 'keyFilename']) {
    if (url.searchParams.has(secret)) {
      throw new UfsError(
        'CONFIG_INVALID',
        `[ufs] [gcs] mount URL: "${secret}" must not be given in a URL; use GOOGLE_APPLICATION_CREDENTIALS or a config object`,
        { context: { backend: 'gcs', operation: 'configure' } },
      );
    }
  }
  return options;
}

export default defineBackend({
  protocol: 'gcs',
  description: 'Google Cloud Storage via @google-cloud/storage (JSON API); apiEndpoint for emulators',
  options: gcsOptionsSchema,
  fromUrl,
  create(options, context) {
    const { bucket, canSign, timeouts, address } = connectGcs(options, context.env, context.mountName);
    const backend = new GcsBackend({
      bucket,
      prefix: options.prefix,
      canSign,
      versioning: options.versioning,
      resumableThreshold: options.resumableThreshold,
      chunkSize: options.chunkSize,
      mountName: context.mountName,
      timeouts,
      address,
    });
    // Two mounts of one bucket (one with a prefix) are one storage: `gcs://endpoint host/bucket/object`.
    const base = serviceBase('gcs', bucket.storage.apiEndpoint, bucket.name);
    return withLocation(backend, (key) => blobLocation(base, options.prefix, key));
  },
});
