import type { UfsError } from '@org/core';

/** What happens during an upload, for logs. */
export type UploadEvent =
  | { type: 'skip'; provider: string; reason: string }
  | { type: 'attempt'; provider: string; attempt: number }
  | { type: 'retry'; provider: string; attempt: number; delayMs: number; error: UfsError }
  | { type: 'failure'; provider: string; error: UfsError }
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
}
