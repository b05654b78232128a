import type { Agent } from 'node:http';
import {
  BlobServiceClient,
  ContainerClient,
  StorageSharedKeyCredential,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { UfsError } from '@org/core';
import type { ConfiguredAddress } from '../../errors.js';
import { DEFAULT_TIMEOUT_MS, timeoutAgents } from '../../util/socket-timeouts.js';
import type { AzureOptions } from './options.js';

/** A container client, and the shared key that can sign SAS URLs when the mount has one. */
export interface AzureConnection {
  container: ContainerClient;
  sharedKey: StorageSharedKeyCredential | undefined;
  /** The agents of a client built here (their sockets carry connectTimeoutMs / timeoutMs); closed by dispose(). */
  agents?: { destroy(): void }[];
  /** The blob service address the mount configured, and where: named when it is `https://` without TLS. */
  address?: ConfiguredAddress;
}

/** A URL without its query (a SAS token) or fragment. */
function withoutQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** Pipeline options; `agent` is passed through to @azure/core-rest-pipeline (its `agentPolicy`). */
type PipelineOptions = StoragePipelineOptions & { agent?: Agent };

/**
 * Builds a client twice: once to learn its URL, then with an agent of that protocol whose sockets fail after
 * `connectTimeoutMs` without a connection and after `timeoutMs` with nothing received (the SDK has no idle timeout
 * of its own: a server that accepts and never answers would be waited for forever).
 */
function withTimeouts<T extends { url: string }>(
  options: AzureOptions,
  make: (pipeline: PipelineOptions) => T,
): { client: T; agents: { destroy(): void }[] } {
  const url = new URL(make({}).url);
  const agents = timeoutAgents({
    endpoint: url.origin,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const agent = url.protocol === 'https:' ? agents.https : agents.http;
  return { client: make({ agent }), agents: [agents.http, agents.https] };
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
    const { client, agents } = withTimeouts(options, (p) => new BlobServiceClient(endpoint, credential, p));
    const address = options.endpoint === undefined ? undefined : { url: endpoint, option: 'endpoint' };
    return { container: client.getContainerClient(options.container), sharedKey: credential, agents, address };
  }
  const sas = env.AZURE_STORAGE_SAS_TOKEN;
  if (sas) {
    const url = `${endpoint}?${sas.replace(/^\?/, '')}`;
    const { client, agents } = withTimeouts(options, (p) => new BlobServiceClient(url, undefined, p));
    const address = options.endpoint === undefined ? undefined : { url: endpoint, option: 'endpoint' };
    return { container: client.getContainerClient(options.container), sharedKey: undefined, agents, address };
  }
  throw configError(
    mountName,
    `accountName "${account}" needs accountKey (or AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN in the environment)`,
  );
}

function fromConnectionString(
  connectionString: string,
  options: AzureOptions,
  mountName: string,
  source = 'connectionString',
): AzureConnection {
  let built: { client: BlobServiceClient; agents: { destroy(): void }[] };
  try {
    built = withTimeouts(options, (p) => BlobServiceClient.fromConnectionString(connectionString, p));
  } catch (err) {
    // The SDK's message never contains the key itself.
    throw configError(mountName, `connectionString is not valid: ${(err as Error).message}`);
  }
  const { client, agents } = built;
  const address = {
    url: withoutQuery(client.url),
    option: source,
    fix: (plain: string) => `set BlobEndpoint=${plain} (or DefaultEndpointsProtocol=http) in ${source}`,
  };
  return { container: client.getContainerClient(options.container), sharedKey: sharedKeyOf(client), agents, address };
}

/**
 * A SAS URL may name the service (`https://acct.blob.core.windows.net/?sv=…`) or the container itself
 * (`…/container?sv=…`, Azurite: `http://127.0.0.1:10000/devstoreaccount1/container?sv=…`): when its last path
 * segment is the container, it is used as is.
 */
function fromSasUrl(sasUrl: string, options: AzureOptions): AzureConnection {
  const { container } = options;
  const url = new URL(sasUrl);
  const last = url.pathname.split('/').filter(Boolean).at(-1);
  const { client, agents } = withTimeouts(options, (p) =>
    last === container
      ? new ContainerClient(sasUrl, undefined, p)
      : new BlobServiceClient(sasUrl, undefined, p).getContainerClient(container),
  );
  const address = {
    url: withoutQuery(sasUrl),
    option: 'sasUrl',
    fix: (plain: string) => `give sasUrl as ${plain}?<its SAS query>`,
  };
  return { container: client, sharedKey: undefined, agents, address };
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
  if (options.connectionString) return fromConnectionString(options.connectionString, options, mountName);
  if (options.sasUrl) return fromSasUrl(options.sasUrl, options);
  if (options.accountName) return fromAccount(options, options.accountName, env, mountName);
  if (env.AZURE_STORAGE_CONNECTION_STRING) {
    return fromConnectionString(
      env.AZURE_STORAGE_CONNECTION_STRING,
      options,
      mountName,
      'AZURE_STORAGE_CONNECTION_STRING',
    );
  }
  if (env.AZURE_STORAGE_ACCOUNT) return fromAccount(options, env.AZURE_STORAGE_ACCOUNT, env, mountName);
  throw configError(
    mountName,
    'no credentials: give connectionString, accountName + accountKey, sasUrl or containerClient ' +
      '(or set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY)',
  );
}
