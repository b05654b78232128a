import type { ProviderInfo, ProviderStatus, UploadOptions, UploadProvider } from '@org/core';
import type { Env } from './env.js';

/**
 * What a provider's `upload` accepts: the core options plus the environment to read configuration from
 * (default `process.env`) and the provider's own options (e.g. `apiKey`, `bucket`, `unique`).
 */
export interface ProviderCallOptions extends UploadOptions {
  env?: Env;
  /**
   * Idle timeout in ms of each HTTP request the provider sends (no answer, or no data, this long: TIMEOUT); 0 turns
   * it off. Default: the transport's, 60 s. Passed on like `timeoutMs`; the providers that go through an SDK or a
   * storage backend (s3, dropbox, mount) do not use it.
   */
  idleTimeoutMs?: number;
}

/** A provider as the registry hands it out: core contract, with `status` always present. */
export interface Provider extends UploadProvider {
  readonly info: ProviderInfo;
  /** Readiness from configuration (env, and the provider options of a call); no network. */
  status(env?: Env, options?: ProviderCallOptions): ProviderStatus;
  /**
   * Headers the verification download of this provider's URLs needs (e.g. an API key), for services whose URLs do
   * not serve a plain GET. Asked at verification time so secrets never sit in the result.
   */
  verifyHeaders?(options?: ProviderCallOptions): Record<string, string> | undefined;
  /**
   * For providers that store a file under a key made from its name alone (`s3`, `mount`, `dropbox` without
   * `unique`): that key (case-folded where the service ignores case), so a batch can find two files that would land
   * on one key. Undefined when the key has a random part, or the provider is not configured.
   */
  nameKey?(filename: string, options?: ProviderCallOptions): string | undefined;
  /**
   * Why an upload of this provider is kept, not deleted, when a step after it fails (its verification download): set
   * where deleting it would leave things worse than keeping it (`ufs`: the record it put describes the file truly
   * and replaced the path's earlier one). Unset: the orchestrator deletes it where the provider can.
   */
  readonly keepOnFailure?: string;
}

export type { Env };
