import { BlobServiceClient, ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { UfsError } from '@org/core';
import type { AzureOptions } from './options.js';

/** A container client, and the shared key that can sign SAS URLs when the mount has one. */
export interface AzureConnection {
  container: ContainerClient;
  sharedKey: StorageSharedKeyCredential | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

function configError(mountName: string, message: string): UfsError {
  return new UfsError('CONFIG_INVALID', `[ufs] [azure] mount "${mountName}": ${message}`, {
    context: { backend: 'azure', operation: 'configure', mount: mountName },
  });
}

function sharedKeyOf(client: { credential: unknown }): StorageSharedKeyCredential | undefined {
  return client.credential instanceof StorageSharedKeyCredential ? client.credential : undefined;
}

function fromAccount(options: AzureOptions, account: string, env: Env, mountName: string): AzureConnection {
  const endpoint = (options.endpoint ?? `https://${account}.blob.core.windows.net`).replace(/\/+$/, '');
  const key = options.accountKey ?? env.AZURE_STORAGE_KEY ?? env.AZURE_STORAGE_ACCESS_KEY;
  if (key) {
    let credential: StorageSharedKeyCredential;
    try {
      credential = new StorageSharedKeyCredential(account, key);
    } catch (err) {
      throw configError(mountName, `accountKey is not usable: ${(err as Error).message}`);
    }
    const service = new BlobServiceClient(endpoint, credential);
    return { container: service.getContainerClient(options.container), sharedKey: credential };
  }
  const sas = env.AZURE_STORAGE_SAS_TOKEN;
  if (sas) {
    const service = new BlobServiceClient(`${endpoint}?${sas.replace(/^\?/, '')}`);
    return { container: service.getContainerClient(options.container), sharedKey: undefined };
  }
  throw configError(
    mountName,
    `accountName "${account}" needs accountKey (or AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN in the environment)`,
  );
}

function fromConnectionString(connectionString: string, container: string, mountName: string): AzureConnection {
  let service: BlobServiceClient;
  try {
    service = BlobServiceClient.fromConnectionString(connectionString);
  } catch (err) {
    // The SDK's message never contains the key itself.
    throw configError(mountName, `connectionString is not valid: ${(err as Error).message}`);
  }
  return { container: service.getContainerClient(container), sharedKey: sharedKeyOf(service) };
}

/**
 * A SAS URL may name the service (`https://acct.blob.core.windows.net/?sv=…`) or the container itself
 * (`…/container?sv=…`, Azurite: `http://127.0.0.1:10000/devstoreaccount1/container?sv=…`): when its last path
 * segment is the container, it is used as is.
 */
function fromSasUrl(sasUrl: string, container: string): AzureConnection {
  const url = new URL(sasUrl);
  const last = url.pathname.split('/').filter(Boolean).at(-1);
  const client =
    last === container ? new ContainerClient(sasUrl) : new BlobServiceClient(sasUrl).getContainerClient(container);
  return { container: client, sharedKey: undefined };
}

/** Builds the container client from the mount options, falling back to the usual environment variables. */
export function connectAzure(options: AzureOptions, env: Env, mountName: string): AzureConnection {
  if (options.containerClient) {
    const client = options.containerClient;
    if (client.containerName !== options.container) {
      throw configError(
        mountName,
        `containerClient is for container "${client.containerName}" but the mount names "${options.container}"`,
      );
    }
    return { container: client, sharedKey: sharedKeyOf(client) };
  }
  if (options.connectionString) return fromConnectionString(options.connectionString, options.container, mountName);
  if (options.sasUrl) return fromSasUrl(options.sasUrl, options.container);
  if (options.accountName) return fromAccount(options, options.accountName, env, mountName);
  if (env.AZURE_STORAGE_CONNECTION_STRING) {
    return fromConnectionString(env.AZURE_STORAGE_CONNECTION_STRING, options.container, mountName);
  }
  if (env.AZURE_STORAGE_ACCOUNT) return fromAccount(options, env.AZURE_STORAGE_ACCOUNT, env, mountName);
  throw configError(
    mountName,
    'no credentials: give connectionString, accountName + accountKey, sasUrl or containerClient ' +
      '(or set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY)',
  );
}
