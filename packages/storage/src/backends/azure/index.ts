import { UfsError } from '@org/core';
import { defineBackend } from '../../backend-definition.js';
import { AzureBackend } from './backend.js';
import { connectAzure } from './client.js';
import { mapAzureError } from './errors.js';
import { azureOptionsSchema } from './options.js';
import { blobLocation, serviceBase, withLocation } from '../../util/location.js';

export { AzureBackend } from './backend.js';
export { azureOptionsSchema, type AzureOptions } from './options.js';

function flag(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  return value === '' || value === '1' || value.toLowerCase() === 'true';
}

/**
 * `azure://<container>/<prefix>?account=<name>&endpoint=<blob service URL>&createContainer=true`.
 * Secrets never go in the URL: the key comes from AZURE_STORAGE_KEY (or a connection string or SAS token from
 * AZURE_STORAGE_CONNECTION_STRING / AZURE_STORAGE_SAS_TOKEN).
 */
function fromUrl(url: URL): Record<string, unknown> {
  const options: Record<string, unknown> = { container: decodeURIComponent(url.hostname) };
  const prefix = url.pathname
    .split('/')
    .filter(Boolean)
    .map((segment) => decodeURIComponent(segment))
    .join('/');
  if (prefix) options.prefix = prefix;
  const account = url.searchParams.get('account') ?? url.searchParams.get('accountName');
  if (account) options.accountName = account;
  const endpoint = url.searchParams.get('endpoint');
  if (endpoint) options.endpoint = endpoint;
  const create = flag(url.searchParams.get('createContainer'));
  if (create !== undefined) options.createContainer = create;
  for (const secret of ['accountKey', 'key', 'sig', 'connectionString']) {
    if (url.searchParams.has(secret)) {
      throw new UfsError(
        'CONFIG_INVALID',
        `[ufs] [azure] mount URL: "${secret}" must not be given in a URL; set AZURE_STORAGE_KEY or use a config object`,
        { context: { backend: 'azure', operation: 'configure' } },
      );
    }
  }
  return options;
}

export default defineBackend({
  protocol: 'azure',
  description: 'Azure Blob Storage (block blobs) via @azure/storage-blob; Azurite works through endpoint',
  options: azureOptionsSchema,
  fromUrl,
  async create(options, context) {
    const { container, sharedKey, agents, address } = connectAzure(options, context.env, context.mountName);
    if (options.createContainer) {
      try {
        await container.createIfNotExists();
      } catch (err) {
        throw mapAzureError(
          err,
          { backend: 'azure', mount: context.mountName, operation: 'createContainer' },
          options.container,
          undefined,
          address,
        );
      }
    }
    const backend = new AzureBackend({
      container,
      sharedKey,
      prefix: options.prefix,
      blockSize: options.blockSize,
      concurrency: options.concurrency,
      mountName: context.mountName,
      agents,
      address,
    });
    // Two mounts of one container (one with a prefix) are one storage: `azure://host/account/container/blob`.
    const base = serviceBase('azure', container.url);
    return withLocation(backend, (key) => blobLocation(base, options.prefix, key));
  },
});
