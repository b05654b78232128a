export { isStorageNode, type ReadableNode, type SourceStat } from './readable-node.js';
export { VirtualNode, type ByteRange } from './virtual-node.js';
export { ConcatNode, concat } from './concat.js';
export { DiffNode, diff, DEFAULT_DIFF_MAX_BYTES, type DiffOptions } from './diff.js';
export { ZipNode, zip, type ZipOptions } from './zip.js';
