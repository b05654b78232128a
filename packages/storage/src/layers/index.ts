export { interceptBackend, signalOf, withSignal, REQUIRED_OPERATIONS, OPTIONAL_OPERATIONS } from './intercept.js';
export type { BackendOperation, BackendCall, Interceptor, Next } from './intercept.js';
export { retryLayer, isRetrySafe, type RetryLayerOptions } from './retry.js';
export { timeoutLayer, type TimeoutLayerOptions } from './timeout.js';
export { concurrencyLayer, type ConcurrencyLayer } from './concurrency.js';
export { loggingLayer, type LoggingLayerOptions, type StorageLogger, type StorageLogFields } from './logging.js';
export { metricsLayer, type MetricsLayer, type MetricsSnapshot, type OperationCounters } from './metrics.js';
export {
  permissionLayer,
  readonlyLayer,
  permits,
  capabilitiesFor,
  OPERATION_ACCESS,
  PERMISSIONS,
  type Permission,
  type Access,
} from './permission.js';
