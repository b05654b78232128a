import type { UfsError } from '@org/core';

/** What happens during an upload, for logs. */
export type UploadEvent =
  | { type: 'skip'; provider: string; reason: string }
  | { type: 'attempt'; provider: string; attempt: number }
  /** A retry of the upload (`phase: 'upload'`) or of the verification download (`phase: 'verify'`). */
  | { type: 'retry'; provider: string; phase: 'upload' | 'verify'; attempt: number; delayMs: number; error: UfsError }
  /** `copy`: the upload had succeeded when a later step failed; where it is and whether it was deleted. */
  | { type: 'failure'; provider: string; error: UfsError; copy?: { url: string; deleted: boolean } }
  | { type: 'verify'; provider: string; url: string }
  | { type: 'success'; provider: string; url: string };

/** How one provider fared in an upload. */
export interface ProviderReport {
  provider: string;
  outcome: 'success' | 'failed' | 'skipped';
  /** Upload attempts made (0 when skipped). */
  attempts: number;
  /** Why it failed or was skipped. */
  reason?: string;
  code?: UfsError['code'];
  retryable?: boolean;
  /** The HTTP status of the service's answer that failed it, when its failure was one (not a check made here). */
  status?: number;
  /**
   * Set when the upload succeeded but a later step (verification) failed: the copy's URL and what the service gave
   * to delete it. `deleted` says whether it was deleted (best effort, where the provider can delete; `deleteError`
   * says why not when the delete failed); when false the copy is still there.
   */
  url?: string;
  deleteUrl?: string;
  deleteToken?: string;
  deleted?: boolean;
  deleteError?: string;
  /**
   * Why the copy was kept on purpose rather than deleted (`deleted: false`): the provider's `keepOnFailure` (`ufs`:
   * its record describes the file truly, and deleting it would leave the path with no record at all).
   */
  kept?: string;
  /**
   * The provider's failure itself, with its cause chain (a failed entry; not enumerable, so not in the report's
   * JSON): what `ufs upload --verbose` shows under each provider.
   */
  readonly error?: UfsError;
}
