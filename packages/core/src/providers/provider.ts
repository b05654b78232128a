import type { Readable } from 'node:stream';
import type { ProgressListener } from '../progress.js';

export interface ProviderCapabilities {
  /** The caller can choose how long the file is kept. */
  expiry: boolean;
  /** The URL serves the file once; verifying by download consumes it. */
  singleDownload: boolean;
  /** The service gives a way to delete the upload. */
  delete: boolean;
  /** The request body is streamed (never buffered whole). */
  streaming: boolean;
}

export interface ProviderInfo {
  /** Registry id, e.g. `catbox`. */
  id: string;
  /** Human name. */
  name: string;
  homepage?: string;
  /** Largest accepted file in bytes, when the service states one. */
  maxSize?: number;
  /** How long files are kept, in words: `permanent`, `1h–72h`, `30–365 days by size`. */
  retention: string;
  /** Values accepted for `expire`, e.g. `['1h','12h','24h','72h']`. */
  expiryChoices?: readonly string[];
  auth: 'none' | 'optional' | 'required';
  /** Env variables that configure the provider (base URL, keys). */
  env: readonly string[];
  capabilities: ProviderCapabilities;
}

/** A file to upload, opened lazily so retries can read it again. */
export interface UploadSource {
  filename: string;
  size: number;
  contentType?: string;
  /** A fresh stream of the whole content on each call. */
  open(): Readable;
  /** Local path, when the source is a file. */
  path?: string;
}

export interface UploadOptions {
  /** Requested retention, one of `info.expiryChoices`. */
  expire?: string;
  signal?: AbortSignal;
  /** Milliseconds before the request is abandoned with TIMEOUT. */
  timeoutMs?: number;
  onProgress?: ProgressListener;
  /** Override of the service's base URL (tests, mirrors, self-hosted instances). */
  baseUrl?: string;
  /** Provider-specific options. */
  [option: string]: unknown;
}

export interface UploadTimings {
  readMs?: number;
  uploadMs: number;
  verifyMs?: number;
}

export interface UploadResult {
  url: string;
  provider: string;
  size: number;
  sha256?: string;
  expiresAt?: Date;
  deleteUrl?: string;
  deleteToken?: string;
  timings: UploadTimings;
  /** Why verification was skipped, when it was. */
  verifySkipped?: string;
}

export interface ProviderStatus {
  ready: boolean;
  /** Why it is not ready, and how to fix it. */
  reason?: string;
  help?: string;
}

export interface UploadProvider {
  readonly info: ProviderInfo;
  upload(source: UploadSource, options?: UploadOptions): Promise<UploadResult>;
  /** Whether configuration (keys, env) allows uploading now; no network. */
  status?(env?: Readonly<Record<string, string | undefined>>): ProviderStatus;
  /** Deletes an earlier upload, where the service supports it. */
  delete?(result: Pick<UploadResult, 'url' | 'deleteUrl' | 'deleteToken'>, options?: UploadOptions): Promise<void>;
}
