import picomatch from 'picomatch';
import { UfsError } from '@org/core';
import type { ReadableNode } from '../virtual/readable-node.js';
import type { CopyOptions } from './types.js';

/** Decides whether a file (by its path relative to the source root, and the node) takes part. */
export type Selector = (relative: string, node: ReadableNode) => Promise<boolean>;

function patternsOf(what: string, value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const patterns = typeof value === 'string' ? [value] : [...value];
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || pattern === '')
      throw new UfsError('INVALID_INPUT', `[ufs] copy: ${what} patterns must be non-empty strings`);
  }
  return patterns;
}

function matcher(patterns: string[]): ((path: string) => boolean) | undefined {
  return patterns.length === 0 ? undefined : picomatch(patterns, { dot: true });
}

/**
 * `include`/`exclude` globs (picomatch, matched against the path relative to the source root: `*` stays within a
 * folder, `**` crosses them, dot files match) then the `filter` function. Exclusion wins over inclusion.
 */
export function selector(options: Pick<CopyOptions, 'include' | 'exclude' | 'filter'>): Selector {
  const include = matcher(patternsOf('include', options.include));
  const exclude = matcher(patternsOf('exclude', options.exclude));
  const filter = options.filter;
  return async (relative, node) => {
    if (include && !include(relative)) return false;
    if (exclude?.(relative)) return false;
    return filter ? (await filter(node)) === true : true;
  };
}
