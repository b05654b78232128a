import type { BigIntStats } from 'node:fs';
import type { FileMetadataInput } from '@org/core';

/** The record a scan sends for a file (or a symbolic link, with its target) it stat'ed and hashed. */
export function recordMetadata(
  path: string,
  stats: BigIntStats,
  sha256: string,
  size: number,
  o: { hostname: string; ipAddress: string },
  link?: string,
): FileMetadataInput {
  const seconds = (ns: bigint) => Number(ns) / 1e9;
  return {
    filepath: path,
    hostname: o.hostname,
    ip_address: o.ipAddress,
    sha256,
    file_size: size,
    file_mode: Number(stats.mode),
    file_uid: Number(stats.uid),
    file_gid: Number(stats.gid),
    file_mtime: seconds(stats.mtimeNs),
    file_atime: seconds(stats.atimeNs),
    file_ctime: seconds(stats.ctimeNs),
    is_symlink: link !== undefined,
    link_target: link ?? null,
  };
}
