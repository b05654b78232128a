export { copyNode, moveNode, DEFAULT_COPY_CONCURRENCY } from './engine.js';
export { selector, type Selector } from './filters.js';
export type {
  CopyOptions,
  MoveOptions,
  CopySummary,
  CopyError,
  CopyFileEvent,
  CopySkipEvent,
  SkipStrategy,
  SkipFunction,
  SkipReason,
  TransferMethod,
} from './types.js';
