import { ContainerClient } from '@azure/storage-blob';
import { normalizeKey } from '@org/core';
import { z } from 'zod';
import { timeoutMsSchema } from '../../util/socket-timeouts.js';

const MiB = 1024 * 1024;

/** Azure's container naming rule: 3–63 lowercase letters, digits and single hyphens, starting with a letter/digit. */
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;

function isContainerClient(value: unknown): value is ContainerClient {
  if (value instanceof ContainerClient) return true;
  // A ContainerClient from another copy of the SDK: duck-type the methods the backend uses.
  const v = value as Partial<Record<string, unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.getBlockBlobClient === 'function' &&
    typeof v.listBlobsByHierarchy === 'function' &&
    typeof v.containerName === 'string'
  );
}

/**
 * Mount options of the `azure` protocol. Credentials: exactly one of `connectionString`, `accountName` +
 * `accountKey`, `sasUrl` or a ready `containerClient`; with none, the usual environment variables are read
 * (AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN).
 */
export const azureOptionsSchema = z
  .strictObject({
    container: z
      .string({ error: 'container is required: the name of the blob container' })
      .regex(
        CONTAINER_NAME,
        'container must be 3-63 lowercase letters, digits or single hyphens, starting and ending with a letter or digit',
      ),
    /** Folder inside the container that is this mount's root. */
    prefix: z
      .string()
      .transform((value, ctx) => {
        try {
          return normalizeKey(value);
        } catch (err) {
          ctx.issues.push({
            code: 'custom',
            input: value,
            message: `prefix is not a valid path: ${(err as Error).message}`,
          });
          return z.NEVER;
        }
      })
      .optional(),
    connectionString: z.string().min(1, 'connectionString must not be empty').optional(),
    accountName: z
      .string()
      .regex(/^[a-z0-9]{3,24}$/, 'accountName must be 3-24 lowercase letters or digits')
      .optional(),
    accountKey: z.string().min(1, 'accountKey must not be empty').optional(),
    /** Blob service URL, e.g. `http://127.0.0.1:10000/devstoreaccount1` for Azurite. */
    endpoint: z.url({ protocol: /^https?$/, error: 'endpoint must be an http(s) URL of the blob service' }).optional(),
    /** A service or container URL that carries a SAS token (`https://acct.blob.core.windows.net/c?sv=…&sig=…`). */
    sasUrl: z.url({ protocol: /^https?$/, error: 'sasUrl must be an http(s) URL with a SAS query' }).optional(),
    /** A ready client (any credential, e.g. from @azure/identity). */
    containerClient: z
      .custom<ContainerClient>(isContainerClient, 'containerClient must be a ContainerClient from @azure/storage-blob')
      .optional(),
    /**
     * Time to establish the TCP connection, and socket idle time (nothing received or sent, mid-body too) that fails
     * a request with TIMEOUT; 60 s each by default (DEFAULT_TIMEOUT_MS), 0 for no limit. Not with a ready
     * `containerClient`.
     */
    connectTimeoutMs: timeoutMsSchema('connectTimeoutMs').optional(),
    timeoutMs: timeoutMsSchema('timeoutMs').optional(),
    /** Create the container when it does not exist (on first use). */
    createContainer: z.boolean().default(false),
    /** Block size of streamed uploads (bytes). */
    blockSize: z
      .number()
      .int()
      .min(MiB, 'blockSize must be at least 1 MiB')
      .max(4000 * MiB, 'blockSize must be at most 4000 MiB')
      .default(8 * MiB),
    /** Blocks uploaded in parallel per write. */
    concurrency: z.number().int().min(1).max(64).default(4),
  })
  .superRefine((options, ctx) => {
    const modes = (['connectionString', 'accountKey', 'sasUrl', 'containerClient'] as const).filter(
      (k) => options[k] !== undefined,
    );
    if (modes.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [modes[1]!],
        message: `give only one way to connect (found ${modes.join(' and ')}): connectionString, accountName + accountKey, sasUrl or containerClient`,
      });
    }
    if (options.endpoint !== undefined && (modes.length > 1 || (modes[0] !== undefined && modes[0] !== 'accountKey'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint'],
        message:
          'endpoint goes with accountName (+ accountKey); a connection string or SAS URL already names its endpoint',
      });
    }
    if (options.containerClient !== undefined) {
      for (const key of ['connectTimeoutMs', 'timeoutMs'] as const) {
        if (options[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key} cannot be combined with a ready containerClient: configure the client's own pipeline instead`,
          });
        }
      }
    }
    if (options.accountKey !== undefined && options.accountName === undefined) {
      ctx.addIssue({ code: 'custom', path: ['accountName'], message: 'accountName is required with accountKey' });
    }
    if (options.accountKey !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(options.accountKey)) {
      ctx.addIssue({
        code: 'custom',
        path: ['accountKey'],
        message: 'accountKey must be base64 (the key from the portal)',
      });
    }
  });

export type AzureOptions = z.output<typeof azureOptionsSchema>;
