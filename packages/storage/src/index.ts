// The manager and its configuration
export { StorageManager, type StorageManagerOptions, type MountsSource } from './manager/storage-manager.js';
export type { MountInfo, Denial } from './manager/mount.js';
export { Mount } from './manager/mount.js';
export { subfolderBackend } from './manager/subfolder-backend.js';
export { validateMountName, looksLikeUrl, type MountConfig } from './config/mount-config.js';
export { layerConfigSchema, buildLayers, type LayerConfig, type BuiltLayers } from './config/layer-config.js';
export { interpolateEnv, type Env } from './config/interpolate.js';
export { loadConfigFile } from './config/load-file.js';
export { mountsNeeded, mountDependencies, type MountsNeededOptions } from './config/mounts-needed.js';

// Nodes
export { StorageNode, type NodeHost } from './node/storage-node.js';
export { NodeWriteStream } from './node/write.js';
export type { NodePage } from './node/folders.js';
export type { LocalPathHandle, LocalPathOptions } from './node/local-path.js';
export { callProgram, type CallArgument, type CallOptions, type CallResult } from './node/call.js';
export type {
  NodeStat,
  ReadStreamOptions,
  NodeWriteOptions,
  WriteOutcome,
  MkdirNodeOptions,
  ListNodeOptions,
  DeleteNodeOptions,
  UrlOptions,
  HashKind,
} from './node/types.js';

// Copy and move, virtual nodes (concat, diff, zip), serving over HTTP
export * from './copy/index.js';
export * from './virtual/index.js';
export * from './serve/index.js';

// Layers
export * from './layers/index.js';

// Backends: definitions, the registry, helpers for backend authors
export * from './backend-definition.js';
export { BACKEND_LOADERS, PROTOCOL_ALIASES, knownProtocols, loadBackend, resolveProtocol } from './registry.js';
export { LocalBackend, type LocalBackendOptions, type LocalRoot, type SegmentRoot } from './backends/local/index.js';
export { MemoryBackend } from './backends/memory/index.js';
export {
  DEFAULT_PAGE_SIZE,
  compareKeys,
  encodeCursor,
  decodeCursor,
  pageOf,
  pageFromSequence,
  paginate,
  listAll,
  type CursorListing,
} from './util/paginate.js';
export { walkPage } from './util/walk.js';
export { unreadableEntry, unreadableOf, type UnreadableEntry } from './util/unreadable.js';
export {
  toReadable,
  asBuffers,
  collectBytes,
  tap,
  countingTransform,
  checkRange,
  sliceStream,
  bufferStream,
  type ByteSource,
} from './util/streams.js';
export { replayable, replayableBytes, isReplayable, mapSource, type ReplayableSource } from './util/replayable.js';
export { unsupported, permissionDenied, configInvalid } from './errors.js';
// What users of this package need from @org/core to catch errors and build backends, so one install is enough.
export {
  UfsError,
  isUfsError,
  applyLayers,
  type ErrorCode,
  type Layer,
  type StorageBackend,
  type EntryStat,
} from '@org/core';

// Content-in-the-key helpers of the base64/data backend (no SDK involved)
export { dataUri, encodeKey, fromDataUri, keyFromDataUri } from './backends/base64/codec.js';
