import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { ConfiguredAddress } from '../../errors.js';
import { DEFAULT_TIMEOUT_MS, type S3Options } from './options.js';

/** Where a client this backend built connects and how long it waits: what timeout errors say. */
export interface S3Connection {
  /** The endpoint URL (the AWS one of the region when none was configured). */
  endpoint: string;
  /** Time allowed to establish the TCP/TLS connection; 0 = no limit. */
  connectTimeoutMs: number;
  /** Socket idle time (nothing received or sent) that fails a request; 0 = no limit. */
  timeoutMs: number;
}

export interface ClientChoice {
  client: S3Client;
  /** True when this backend built the client (so `dispose()` destroys it); a client handed in stays open. */
  owned: boolean;
  /** Set when this backend built the client (a handed-in client has its own endpoint and timeouts). */
  connection?: S3Connection;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The configured endpoint of a connection, and the option or variable it came from (see `configuredEndpoint`). */
const configured = new WeakMap<S3Connection, ConfiguredAddress>();

/**
 * The endpoint a client this backend built was configured with (`endpoint`, else `AWS_ENDPOINT_URL_S3` or
 * `AWS_ENDPOINT_URL` of the mount's environment), as errors name it; undefined for AWS's own endpoint.
 */
export function configuredEndpoint(connection: S3Connection | undefined): ConfiguredAddress | undefined {
  return connection === undefined ? undefined : configured.get(connection);
}

function isLoopbackOrIp(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

/** The endpoint as error messages show it: no user info, no trailing slash. */
function shown(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The S3 client for a mount: the ready `client` when given, else one built from the options, falling back to the
 * usual AWS variables of the mount's environment (AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, …) and then
 * to the SDK's default credential chain (profiles, SSO, instance roles).
 */
export function s3Client(options: S3Options, env: Env): ClientChoice {
  if (options.client) return { client: options.client, owned: false };
  const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const config: S3ClientConfig = {
    region,
    // A bucket in another region answers with a redirect the SDK can follow when no region was configured.
    followRegionRedirects: true,
    // The SDK waits forever by default: a server that accepts the connection and never answers (or a blackholed
    // host) would hang every operation, the mount's opening included. The options form of the Node handler keeps
    // its own keep-alive agents. `socketTimeout` is the idle timeout (nothing received or sent for that long);
    // `requestTimeout` would bound a whole request (a large download too) and is left unset.
    requestHandler: { connectionTimeout: connectTimeoutMs, socketTimeout: timeoutMs },
  };
  if (endpoint) config.endpoint = endpoint;
  // Virtual-hosted style (bucket.host) cannot work with an IP address or localhost.
  config.forcePathStyle = options.forcePathStyle ?? (endpoint ? isLoopbackOrIp(new URL(endpoint).hostname) : false);
  const accessKeyId = options.accessKeyId ?? (options.secretAccessKey ? undefined : env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = options.secretAccessKey ?? (options.accessKeyId ? undefined : env.AWS_SECRET_ACCESS_KEY);
  if (accessKeyId && secretAccessKey) {
    const sessionToken = options.accessKeyId ? options.sessionToken : env.AWS_SESSION_TOKEN;
    config.credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  if (options.maxAttempts !== undefined) config.maxAttempts = options.maxAttempts;
  // S3-compatible servers often lack the newer flexible checksums (CRC32 trailers), so they are only sent where an
  // operation requires them, unless configured otherwise; AWS itself keeps the SDK's default.
  const checksums = options.checksums ?? (endpoint ? 'when_required' : undefined);
  if (checksums) {
    const mode = checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
    config.requestChecksumCalculation = mode;
    config.responseChecksumValidation = mode;
  }
  const connection: S3Connection = {
    endpoint: shown(endpoint ?? `https://s3.${region}.amazonaws.com`),
    connectTimeoutMs,
    timeoutMs,
  };
  const from = options.endpoint
    ? 'endpoint'
    : env.AWS_ENDPOINT_URL_S3
      ? 'AWS_ENDPOINT_URL_S3'
      : env.AWS_ENDPOINT_URL
        ? 'AWS_ENDPOINT_URL'
        : undefined;
  if (from) configured.set(connection, { url: connection.endpoint, option: from, env: from !== 'endpoint' });
  return { client: new S3Client(config), owned: true, connection };
}
