import { z } from 'zod';
import type { Layer } from '@org/core';
import { concurrencyLayer } from '../layers/concurrency.js';
import { loggingLayer, type StorageLogger } from '../layers/logging.js';
import { metricsLayer, type MetricsLayer } from '../layers/metrics.js';
import { readonlyLayer } from '../layers/permission.js';
import { retryLayer } from '../layers/retry.js';
import { timeoutLayer } from '../layers/timeout.js';

const operationNames = z.enum([
  'stat',
  'read',
  'write',
  'list',
  'delete',
  'mkdir',
  'copy',
  'rename',
  'append',
  'presignGet',
  'presignPut',
  'versions',
  'setMetadata',
  'localPath',
]);
const positiveMs = z.number().int().positive();

/** The layers a mount can choose in its configuration, applied in the order listed (first = innermost). */
export const layerConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('retry'),
    maxAttempts: z.number().int().min(1).optional(),
    baseDelayMs: z.number().min(0).optional(),
    maxDelayMs: z.number().min(0).optional(),
    factor: z.number().min(1).optional(),
    jitter: z.enum(['full', 'equal', 'none']).optional(),
    maxRetryAfterMs: z.number().min(0).optional(),
    deadlineMs: z.number().min(0).optional(),
  }),
  z.strictObject({
    type: z.literal('timeout'),
    ms: positiveMs,
    operations: z.partialRecord(operationNames, z.number().int().min(0)).optional(),
  }),
  z.strictObject({ type: z.literal('concurrency'), limit: z.number().int().positive() }),
  z.strictObject({ type: z.literal('logging'), level: z.enum(['debug', 'info']).optional() }),
  z.strictObject({ type: z.literal('metrics') }),
  z.strictObject({ type: z.literal('readonly') }),
]);

export type LayerConfig = z.input<typeof layerConfigSchema>;

export interface BuiltLayers {
  layers: Layer[];
  /** The mount's metrics layer, when one was configured. */
  metrics?: MetricsLayer;
  /** True when a `readonly` layer is among them. */
  readonly: boolean;
}

/** Turns validated layer configs into layers. */
export function buildLayers(
  configs: readonly z.output<typeof layerConfigSchema>[],
  options: { mountName: string; logger?: StorageLogger },
): BuiltLayers {
  const built: BuiltLayers = { layers: [], readonly: false };
  for (const config of configs) {
    switch (config.type) {
      case 'retry': {
        const { type: _type, ...policy } = config;
        built.layers.push(retryLayer(policy));
        break;
      }
      case 'timeout':
        built.layers.push(timeoutLayer({ ms: config.ms, operations: config.operations, mount: options.mountName }));
        break;
      case 'concurrency':
        built.layers.push(concurrencyLayer(config.limit));
        break;
      case 'logging':
        built.layers.push(loggingLayer({ logger: options.logger, level: config.level, label: options.mountName }));
        break;
      case 'metrics':
        built.metrics = metricsLayer();
        built.layers.push(built.metrics);
        break;
      case 'readonly':
        built.readonly = true;
        built.layers.push(readonlyLayer(options.mountName));
        break;
    }
  }
  return built;
}
