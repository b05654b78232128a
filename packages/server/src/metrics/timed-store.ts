import type { MetadataStore } from '../store/store.js';
import type { MetricsService } from './metrics.service.js';

/** Wraps a store so every primitive's latency lands in `ufs_store_operation_duration_seconds`. */
export function timedStore(store: MetadataStore, metrics: MetricsService): MetadataStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'close') return value;
      const histogram = metrics.storeLatency.labels(property);
      return (...args: unknown[]) => {
        const started = performance.now();
        const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        return result.finally(() => histogram.observe((performance.now() - started) / 1000));
      };
    },
  });
}
