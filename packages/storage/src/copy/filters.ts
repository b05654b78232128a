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
    // Only slashes, or `.`/`..` segments: paths relative to the source never hold such a segment, so the pattern
    // would match nothing and the copy would go on as if it had been honoured.
    if (/^\/*$/.test(pattern) || pattern.split('/').some((segment) => segment === '.' || segment === '..'))
      throw new UfsError('INVALID_INPUT', `[ufs] copy: ${what} pattern "${pattern}" names no file or folder`);
    // gitignore's `!pattern` re-includes; here it would be a literal "!" (matching nothing you meant).
    if (pattern.startsWith('!'))
      throw new UfsError(
        'INVALID_INPUT',
        `[ufs] copy: ${what} pattern "${pattern}": "!" (negation) is not supported; use ${what === 'include' ? 'exclude' : 'include'} instead`,
      );
  }
  return patterns;
}

/** One pattern as picomatch sees it, and whether it names folders only. */
interface Rule {
  test: (path: string) => boolean;
  folderOnly: boolean;
}

/**
 * A pattern read as gitignore and rclone read theirs: a trailing `/` matches folders only; a leading `/` anchors it
 * to the source root, and so does a `/` inside it (`docs/*.md`, `docs/**`); without any `/` it matches a name at any
 * level (`*.md`, `docs`, `node_modules/`).
 */
function ruleOf(pattern: string): Rule {
  let folderOnly = pattern.endsWith('/');
  let glob = pattern.replace(/\/+$/, '');
  const anchored = glob.includes('/');
  // `dir/**` is everything below a folder `dir` (never a file named `dir`, which picomatch's own reading matches).
  const below = /^(.*[^/])\/\*\*$/.exec(glob);
  if (below) [glob, folderOnly] = [below[1]!, true];
  glob = glob.replace(/^\/+/, '');
  return { test: picomatch(anchored ? glob : `**/${glob}`, { dot: true }), folderOnly };
}

/**
 * Whether a file is named by the patterns: its own path matches one (a pattern not ending in `/`), or the path of a
 * folder above it matches one (the file is below a folder so named).
 */
function matcher(patterns: string[]): ((path: string) => boolean) | undefined {
  if (patterns.length === 0) return undefined;
  const rules = patterns.map(ruleOf);
  const fileRules = rules.filter((rule) => !rule.folderOnly);
  return (path) => {
    if (fileRules.some((rule) => rule.test(path))) return true;
    for (let end = path.indexOf('/'); end !== -1; end = path.indexOf('/', end + 1)) {
      const folder = path.slice(0, end);
      if (rules.some((rule) => rule.test(folder))) return true;
    }
    return false;
  };
}

/**
 * `include`/`exclude` patterns (see `CopyOptions.include`), matched against the path relative to the source root
 * (a single file: its name) and the folders above it, then the `filter` function. Exclusion wins over inclusion.
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

/**
 * Whether `exclude` names a folder (by its path relative to the source root): itself (`dl`, `dl/`, `/g/dl/`) or a
 * folder above it. Used for what a copy reports without transferring it (a symbolic link to a folder).
 */
export function folderExcluder(options: Pick<CopyOptions, 'exclude'>): (relative: string) => boolean {
  const exclude = matcher(patternsOf('exclude', options.exclude));
  // The folders above a path are matched by every rule, folder-only ones included: `relative/` puts the folder
  // itself among them.
  return (relative) => exclude?.(`${relative}/`) === true;
}
