export type { Env } from './env.js';
export type { Provider, ProviderCallOptions } from './types.js';
export {
  PROVIDER_LOADERS,
  DEFAULT_PROVIDERS,
  knownProviders,
  isKnownProvider,
  assertKnownProviders,
  loadProvider,
  loadAllProviders,
} from './registry.js';
export {
  fileSource,
  contentTypeFor,
  registerSpool,
  spoolOrigin,
  type FileSourceOptions,
  type SpoolOrigin,
} from './source.js';
export { uploadFile, uploadWithSettings, type UploadFileResult } from './orchestrator/upload-file.js';
export { uploadFailed } from './orchestrator/upload-errors.js';
/** Re-exported from @org/core, where it now lives (kept here so existing imports keep working). */
export { formatBytes } from '@org/core';
export { uploadFiles, type UploadFilesOptions, type BatchItem } from './orchestrator/upload-files.js';
export {
  resolveUploadSettings,
  type UploadFileOptions,
  type UploadSettings,
  type ProvidersFrom,
} from './orchestrator/settings.js';
export {
  loadConfigFile,
  parseUploadConfig,
  uploadSection,
  OTHER_CONFIG_SECTIONS,
  uploadConfigSchema,
  providerList,
  MAX_TIMEOUT_MS,
  type UploadConfig,
} from './orchestrator/config.js';
export { verifyDownload, type VerifyOptions } from './orchestrator/verify.js';
export type { UploadEvent, ProviderReport } from './orchestrator/events.js';
export {
  providerStatus,
  providerStatuses,
  listProviders,
  checkOnline,
  type ProviderStatusReport,
  type OnlineCheck,
  type CheckOnlineOptions,
} from './status.js';
export { parseDuration } from './kit/expiry.js';
