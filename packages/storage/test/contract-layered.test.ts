import { applyLayers } from '@org/core';
import { describeBackendContract } from '@org/storage-testing';
import memory from '../src/backends/memory/index.js';
import local from '../src/backends/local/index.js';
import {
  concurrencyLayer,
  loggingLayer,
  metricsLayer,
  retryLayer,
  subfolderBackend,
  timeoutLayer,
} from '../src/index.js';
import { tempDir } from './helpers.js';

// Layers and relative-mount views must keep a backend's behaviour and capabilities intact: the same contract runs
// through every layer at once, and through a subfolder view (what relative mounts use).
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const layers = [
  retryLayer({ maxAttempts: 3, baseDelayMs: 1 }),
  timeoutLayer({ ms: 30_000 }),
  concurrencyLayer(8),
  loggingLayer({ logger: silent }),
  metricsLayer(),
];
const context = { mountName: 'contract', env: {} };
const mem = await memory.create(memory.options.parse({ versioning: true }), context);
describeBackendContract(
  'memory through all layers',
  { backend: applyLayers(mem, layers) },
  { largeBytes: 4 * 1024 * 1024 },
);

const dir = await tempDir('ufs-contract-sub-');
const disk = await local.create(local.options.parse({ root: dir.path }), context);
describeBackendContract(
  'local subfolder view',
  { backend: subfolderBackend(disk, 'deep/inside'), cleanup: dir.cleanup },
  { largeBytes: 4 * 1024 * 1024 },
);
