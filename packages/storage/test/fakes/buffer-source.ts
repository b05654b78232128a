import { Readable } from 'node:stream';
import { capabilities, UfsError, type StorageBackend } from '@org/core';

/** What a test source has served: requests and bytes, to prove archives are read by ranges. */
export interface SourceCounters {
  reads: number;
  bytes: number;
  ranges: { start?: number; end?: number }[];
}

/**
 * A minimal read-only StorageBackend over buffers, standing in for "another mount" that holds an archive.
 * `range: false` makes it a source without range reads (the zip backend then copies to a temp file).
 */
export function bufferSource(
  files: Record<string, Buffer>,
  options: { range?: boolean } = {},
): StorageBackend & { counters: SourceCounters } {
  const range = options.range ?? true;
  const counters: SourceCounters = { reads: 0, bytes: 0, ranges: [] };
  const missing = (key: string) => new UfsError('NOT_FOUND', `[ufs] [buffers] read "${key}": missing`);
  const refuse = async (): Promise<never> => {
    throw new UfsError('UNSUPPORTED', '[ufs] [buffers] read-only');
  };
  return {
    protocol: 'buffers',
    capabilities: capabilities({ read: true, range }),
    counters,
    async stat(key) {
      const body = files[key];
      return body ? { key, isFile: true, isDir: false, size: body.length } : null;
    },
    async read(key, { start, end } = {}) {
      const body = files[key];
      if (!body) throw missing(key);
      if (!range && (start !== undefined || end !== undefined)) throw new UfsError('UNSUPPORTED', 'no ranges');
      const slice = body.subarray(start ?? 0, end === undefined ? undefined : end + 1);
      counters.reads += 1;
      counters.bytes += slice.length;
      counters.ranges.push({ start, end });
      const chunks: Buffer[] = [];
      for (let i = 0; i < slice.length; i += 64 * 1024) chunks.push(slice.subarray(i, i + 64 * 1024));
      return Readable.from(chunks);
    },
    write: refuse,
    list: refuse,
    delete: refuse,
    mkdir: refuse,
  };
}
