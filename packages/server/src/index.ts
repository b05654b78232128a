export { HTTP_STATUS_BY_CODE, HTTP_STATUS_BY_REASON, errorResponse, type ErrorBody } from './http/error-status.js';
export { DedupModule } from './dedup.module.js';
export type { DedupModuleAsyncOptions } from './dedup-core.module.js';
export {
  type DedupModuleOptions,
  type StoreOptions,
  type DedupConfig,
  defaultReplicaId,
  MAX_DURATION_MS,
} from './dedup-options.js';
export { createDedupApp, configureDedupApp, type DedupApp, type DedupAppOptions } from './create-app.js';
export { parseCorsOrigins } from './http/cors.js';
export { DedupLogger, colorsFor, type LogStream } from './http/logger.js';
export * from './store/store.js';
export {
  CatalogueEpoch,
  CATALOGUE_EPOCH_SETTING,
  catalogueResponseSchema,
  type CatalogueResponse,
} from './store/catalogue-epoch.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
export { createBootstrapKey, createApiKey, type CreatedApiKey, type NewKeyOptions } from './api-keys/bootstrap.js';
export { hashApiKey, generateApiKey } from './api-keys/key-hash.js';
export { KEY_NAME_MAX, keyNameProblem } from '@org/core';
export { ContentStore, TEMP_PREFIX, TUS_PREFIX, PROBE_PREFIX } from './content/content-store.js';
export { ReadinessService } from './health/readiness.service.js';
export {
  readinessReportSchema,
  readinessCheckSchema,
  type ReadinessReport,
  type ReadinessCheck,
} from './health/readiness-report.js';
export { ContentService, type IngestResult } from './content/content.service.js';
export { GcService, type GcOptions, type GcReport } from './content/gc.service.js';
export { VerifyService, type VerifyOptions, type VerifyReport } from './content/verify.service.js';
export { MetricsService } from './metrics/metrics.service.js';
export { openContentMount, type ContentMount } from './content/content-mount.js';
export { openStore } from './store/open-store.js';
export {
  SignedUrls,
  DEFAULT_SHARE_SECONDS,
  MAX_SHARE_SECONDS,
  shareRequestSchema,
  shareResponseSchema,
  type ShareResponse,
} from './signing/signed-urls.js';
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, MAX_SHUTDOWN_TIMEOUT_MS, type ShutdownOptions } from './shutdown.js';
export {
  DATA_DIR_STORE_FILE,
  OLD_DATA_DIR_STORE_FILE,
  DATA_DIR_CONTENT_FOLDER,
  START_PROBE_TIMEOUT_MS,
  dataDirStoreFile,
  checkStoreFile,
  contentLostOnRestart,
  ensureDataFolder,
  probeContentMount,
  withinDeadline,
  type Refuse,
} from './start-checks.js';
export { guardAgainstOlderVersions, isRollbackGuard } from './data-dir-guard.js';
export {
  STORE_ID_SETTING,
  STORE_MARKER_KEY,
  bindContentMount,
  type BindOptions,
  type Binding,
} from './content/store-binding.js';
export { GC_ORPHANS_ALWAYS_ALLOWED, GC_ORPHAN_SHARE_ALLOWED, orphanRefusal } from './content/gc-guard.js';
export { SCHEMA_VERSION } from './sqlite/schema-version.js';
export { storeFileExposure } from './sqlite/private-file.js';
export { DEFAULT_BODY_IDLE_TIMEOUT_MS } from './content/request-body.js';
