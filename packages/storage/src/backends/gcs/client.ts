import { Storage, type Bucket, type StorageOptions } from '@google-cloud/storage';
import { UfsError } from '@org/core';
import type { ConfiguredAddress } from '../../errors.js';
import { DEFAULT_TIMEOUT_MS, type SocketTimeouts } from '../../util/socket-timeouts.js';
import type { GcsOptions } from './options.js';
import { limitIdleRequests } from './request-timeouts.js';

export interface GcsConnection {
  bucket: Bucket;
  /** URLs can be signed locally (a service-account private key is known) or by the key file's account. */
  canSign: boolean;
  /** The limits of a client built here (a handed-in one keeps its own): what reads and timeout errors use. */
  timeouts?: SocketTimeouts;
  /** The API endpoint the mount configured (`apiEndpoint`, STORAGE_EMULATOR_HOST), named when it has no TLS. */
  address?: ConfiguredAddress;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Whether a ready client was built with a service-account key (inline or as a file). */
function clientCanSign(storage: Storage): boolean {
  const auth = storage.authClient as unknown as { jsonContent?: { private_key?: string }; keyFilename?: string };
  return Boolean(auth?.jsonContent?.private_key || auth?.keyFilename);
}

/** Builds the Bucket handle from the mount options; with no credentials the SDK's ADC chain applies. */
export function connectGcs(options: GcsOptions, env: Env, mountName: string): GcsConnection {
  if (options.bucketClient) {
    return { bucket: options.bucketClient, canSign: clientCanSign(options.bucketClient.storage) };
  }
  const name = options.bucket;
  if (name === undefined) {
    throw new UfsError('CONFIG_INVALID', `[ufs] [gcs] mount "${mountName}": bucket is required`, {
      context: { backend: 'gcs', operation: 'configure', mount: mountName },
    });
  }
  if (options.storage) return { bucket: options.storage.bucket(name), canSign: clientCanSign(options.storage) };
  const emulator = env.STORAGE_EMULATOR_HOST;
  const apiEndpoint = options.apiEndpoint ?? (emulator && /^https?:\/\//.test(emulator) ? emulator : undefined);
  const keyFilename = options.keyFilename ?? (options.credentials ? undefined : env.GOOGLE_APPLICATION_CREDENTIALS);
  const projectId = options.projectId ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT;
  const timeouts: SocketTimeouts = {
    endpoint: new URL(apiEndpoint ?? 'https://storage.googleapis.com').origin,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
  const settings: StorageOptions = {
    // The SDK's per-request timeout runs until the response's headers (node-fetch's `timeout`), connecting included.
    ...(responseDeadline(timeouts) > 0 ? { timeout: responseDeadline(timeouts) } : {}),
    ...(projectId ? { projectId } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(keyFilename ? { keyFilename } : {}),
    ...(apiEndpoint ? { apiEndpoint: apiEndpoint.replace(/\/+$/, '') } : {}),
  };
  const storage = new Storage(settings);
  limitIdleRequests(storage, timeouts);
  const address: ConfiguredAddress | undefined = options.apiEndpoint
    ? { url: options.apiEndpoint.replace(/\/+$/, ''), option: 'apiEndpoint' }
    : apiEndpoint
      ? { url: apiEndpoint.replace(/\/+$/, ''), option: 'STORAGE_EMULATOR_HOST', env: true }
      : undefined;
  return {
    bucket: storage.bucket(name),
    canSign: Boolean(options.credentials?.private_key || keyFilename),
    timeouts,
    ...(address ? { address } : {}),
  };
}

/** The wait for a response's headers: `connectTimeoutMs + timeoutMs`, 0 (none) when either is off. */
export function responseDeadline(timeouts: SocketTimeouts): number {
  if (timeouts.connectTimeoutMs === 0 || timeouts.timeoutMs === 0) return 0;
  return Math.min(timeouts.connectTimeoutMs + timeouts.timeoutMs, 2_147_483_647);
}
