import type { Stats } from 'node:fs';
import { lstat, mkdir, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { UfsError, describeContext, toUfsError, type ErrorCode } from '@org/core';

/** A local root: a folder, or a function called on every access (e.g. the current user's folder). */
export type LocalRoot = string | (() => string | Promise<string>);
/** A root chosen by the first path segment: `alice/notes.txt` lives in `segmentRoot('alice')` as `notes.txt`. */
export type SegmentRoot = (segment: string) => string | Promise<string>;

export interface Located {
  /** Absolute root folder (as configured, not resolved), or null for the virtual top of a segment-root mount. */
  root: string | null;
  /** Key relative to that root. */
  rel: string;
}

/**
 * The key of the entry a failure of a whole-tree operation on `key` (at `path` on disk) was about: the error's own
 * `path` when it lies below (`a/locked` for `a`), else `key` itself.
 */
export function keyBelow(key: string, path: string, err: unknown): string {
  const failed = (err as { path?: unknown } | null)?.path;
  if (typeof failed !== 'string' || failed === path || !isInside(path, failed)) return key;
  const rest = failed
    .slice(path.endsWith(sep) ? path.length : path.length + 1)
    .split(sep)
    .join('/');
  return key ? `${key}/${rest}` : rest;
}

/** ENOENT or ENOTDIR: nothing is at the path (or it vanished meanwhile). */
export function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function realOrNull(path: string): Promise<string | null> {
  try {
    return await realpath(path);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** The real path `path` would have: its deepest existing ancestor resolved (links followed), then the rest. */
async function realOfMissing(path: string): Promise<string> {
  const rest: string[] = [];
  for (let at = path; dirname(at) !== at; at = dirname(at)) {
    const real = await realpath(at).catch(() => null);
    if (real !== null) return join(real, ...rest);
    rest.unshift(basename(at));
  }
  return path;
}

/**
 * Whether `path` is the folder `realRoot` or lies below it (both real, absolute paths). A root that ends in a
 * separator (`/` itself) is not given a second one: below `/` is every absolute path.
 */
export function isInside(realRoot: string, path: string): boolean {
  return path === realRoot || path.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

/** A name whose NFD form differs (`café`): a file written on macOS may hold it decomposed. */
function decomposable(name: string): boolean {
  return name.normalize('NFD') !== name;
}

/** Whether something is at `path`. `spelling`: a spelling tried for a key, which cannot exist when too long. */
async function present(path: string, spelling = false): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    if (spelling && (err as { code?: unknown }).code === 'ENAMETOOLONG') return false;
    throw err;
  }
}

/**
 * How a key's name is spelled in `dir`. Keys are NFC, but names copied from macOS are often NFD on disk: when the
 * NFC name is not there and its NFD form is, that is the file the key means (so that a listed name can be read,
 * overwritten and deleted). The name itself when neither is there (or its NFD form is too long to be a name).
 */
async function spelled(dir: string, name: string): Promise<string> {
  if (!decomposable(name) || (await present(join(dir, name)))) return name;
  const nfd = name.normalize('NFD');
  // Decomposed, a name can pass the 255 bytes a name may have (`é` is 2 bytes in NFC, 3 in NFD): that spelling cannot
  // be on disk (ENAMETOOLONG from lstat), so the key names the NFC one.
  return (await present(join(dir, nfd), true)) ? nfd : name;
}

/** `rel` with each existing segment spelled as it is on disk (see `spelled`). */
async function onDisk(base: string, rel: string): Promise<string> {
  if (!decomposable(rel)) return rel;
  const segments = rel.split('/');
  let dir = base;
  for (let i = 0; i < segments.length; i++) {
    segments[i] = await spelled(dir, segments[i]!);
    dir = join(dir, segments[i]!);
  }
  return segments.join('/');
}

/**
 * Maps keys to real paths inside the mount root, never outside it: every path that exists is resolved with
 * `realpath` (symbolic links included) and must lie within the real root, or the operation is PERMISSION_DENIED.
 * Operations then use the resolved path, so a link is not followed a second time.
 */
export class LocalPaths {
  /** The resolved real path of a fixed (string) root, once known. */
  private cachedRoot: string | undefined;

  constructor(private readonly options: { root?: LocalRoot; segmentRoot?: SegmentRoot; mountName: string }) {}

  /** `[ufs] [local] read "docs:a.txt":` context for errors. */
  context(operation: string, key: string): { backend: string; operation: string; path: string; mount: string } {
    return { backend: 'local', operation, path: `${this.options.mountName}:${key}`, mount: this.options.mountName };
  }

  fail(err: unknown, operation: string, key: string): UfsError {
    return toUfsError(err, this.context(operation, key));
  }

  error(code: ErrorCode, operation: string, key: string, detail: string): UfsError {
    const context = this.context(operation, key);
    return new UfsError(code, `${describeContext(context)} ${detail}`, { context });
  }

  get segmented(): boolean {
    return this.options.segmentRoot !== undefined;
  }

  private async rootFrom(value: string | Promise<string>, operation: string, key: string): Promise<string> {
    const root = await value;
    if (typeof root !== 'string' || !isAbsolute(root)) {
      throw new UfsError(
        'CONFIG_INVALID',
        `${describeContext(this.context(operation, key))} the root function must return an absolute path, got ${JSON.stringify(root)}`,
        {
          context: this.context(operation, key),
        },
      );
    }
    return root;
  }

  /**
   * Keys reach a backend normalised; one with a trailing `/` (a caller that skipped the node layer) names a folder and
   * would otherwise resolve to the file before it (`t.txt/` to `t.txt`): refused, never acted on.
   */
  private checkKey(key: string, operation: string): void {
    if (key.endsWith('/'))
      throw this.error('INVALID_INPUT', operation, key, 'a key ending in "/" names a folder; keys must be normalised');
  }

  async locate(key: string, operation: string): Promise<Located> {
    this.checkKey(key, operation);
    const { root, segmentRoot } = this.options;
    if (segmentRoot) {
      if (key === '') return { root: null, rel: '' };
      const slash = key.indexOf('/');
      const segment = slash < 0 ? key : key.slice(0, slash);
      return {
        root: await this.rootFrom(segmentRoot(segment), operation, key),
        rel: slash < 0 ? '' : key.slice(slash + 1),
      };
    }
    if (typeof root === 'function') return { root: await this.rootFrom(root(), operation, key), rel: key };
    return { root: root!, rel: key };
  }

  private escape(operation: string, key: string): UfsError {
    return this.error('PERMISSION_DENIED', operation, key, 'resolves outside the mount root (symbolic link); refused');
  }

  /**
   * The refusal of a write through the dangling link at `link` (the entry of `linkKey`): a link whose target would be
   * inside the root is named as dangling (writing through it would create its target); one pointing outside is an
   * escape.
   */
  private async danglingLink(
    realRoot: string,
    link: string,
    linkKey: string,
    operation: string,
    key: string,
  ): Promise<UfsError> {
    const target = await readlink(link).then(
      (to) => resolve(dirname(link), to),
      () => undefined,
    );
    if (target === undefined || !isInside(realRoot, await realOfMissing(target))) return this.escape(operation, key);
    const which = linkKey === key ? 'it' : `"${linkKey}"`;
    return this.error(
      'PERMISSION_DENIED',
      operation,
      key,
      `${which} is a dangling symbolic link (its target does not exist); refused`,
    );
  }

  /**
   * The real root folder (created when missing and `create`); null when it does not exist. A fixed (string) root is
   * resolved once and cached; callers that find the cached folder missing call `forgetRoot` and resolve again.
   */
  async realRoot(root: string, create: boolean): Promise<string | null> {
    const fixed = root === this.options.root;
    if (fixed && this.cachedRoot !== undefined) return this.cachedRoot;
    let real: string | null = null;
    try {
      real = await realpath(root);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    if (real === null) {
      if (!create) return null;
      await mkdir(root, { recursive: true });
      real = await realpath(root);
    }
    if (fixed) this.cachedRoot = real;
    return real;
  }

  /** Drops the cached real root when it was `realRoot`; true when it was (so the caller may resolve afresh). */
  private forgetRoot(realRoot: string): boolean {
    if (this.cachedRoot !== realRoot) return false;
    this.cachedRoot = undefined;
    return true;
  }

  /** Real path of an existing key (links followed and checked), or null when nothing is there. */
  async existing(key: string, operation: string): Promise<string | null> {
    const { root, rel } = await this.locate(key, operation);
    if (root === null) return null;
    for (let retried = false; ; retried = true) {
      const cached = !retried && this.cachedRoot !== undefined;
      const realRoot = await this.realRoot(root, false);
      if (realRoot === null) return null;
      let real = await realOrNull(rel === '' ? realRoot : join(realRoot, rel));
      // Not there under its NFC name: maybe under the NFD name a Mac gave it.
      if (real === null && decomposable(rel)) {
        const respelled = await onDisk(realRoot, rel);
        if (respelled !== rel) real = await realOrNull(join(realRoot, respelled));
      }
      if (real === null) {
        // Missing: when the root came from the cache, resolve it again (it may have been removed or moved).
        if (cached && this.forgetRoot(realRoot)) continue;
        return null;
      }
      if (!isInside(realRoot, real)) throw this.escape(operation, key);
      return real;
    }
  }

  /**
   * A real path to create or replace a key: the existing part of the path resolved and checked, the rest appended.
   * A dangling link on the way is refused (writing through it would create a file wherever it points).
   */
  async forWrite(key: string, operation: string): Promise<string> {
    const { root, rel } = await this.locate(key, operation);
    if (root === null)
      throw this.error(
        'INVALID_INPUT',
        operation,
        key,
        'the top of a per-segment mount is not a folder one can write in',
      );
    const cached = this.cachedRoot !== undefined;
    const realRoot = (await this.realRoot(root, true))!;
    const segments = rel === '' ? [] : (await onDisk(realRoot, rel)).split('/');
    const found = await this.resolveForWrite(realRoot, segments, operation, key);
    if (found !== null) return found;
    // Even the root is missing: the cached root was removed or moved; resolve (and create) it afresh.
    if (cached && this.forgetRoot(realRoot)) {
      const fresh = (await this.realRoot(root, true))!;
      const again = await this.resolveForWrite(fresh, segments, operation, key);
      if (again !== null) return again;
    }
    throw this.escape(operation, key);
  }

  /** The deepest existing part of `segments` under `realRoot`, resolved and checked, plus the rest; null if none. */
  private async resolveForWrite(
    realRoot: string,
    segments: string[],
    operation: string,
    key: string,
  ): Promise<string | null> {
    for (let depth = segments.length; depth >= 0; depth--) {
      let real: string;
      try {
        real = await realpath(join(realRoot, ...segments.slice(0, depth)));
      } catch (err) {
        if (isMissing(err)) continue;
        throw err;
      }
      if (!isInside(realRoot, real)) throw this.escape(operation, key);
      if (depth < segments.length) {
        const next = join(real, segments[depth]!);
        const dangling = await lstat(next).then(
          (s) => s.isSymbolicLink(),
          (err: unknown) => {
            // The deepest part that exists is a file: nothing can be made below it.
            if ((err as { code?: unknown }).code === 'ENOTDIR') {
              const parts = key.split('/');
              const file = parts.slice(0, parts.length - segments.length + depth).join('/');
              throw this.error('INVALID_INPUT', operation, key, `"${file}" is a file, not a folder`);
            }
            return false;
          },
        );
        if (dangling) {
          const parts = key.split('/');
          const linkKey = parts.slice(0, parts.length - segments.length + depth + 1).join('/');
          throw await this.danglingLink(realRoot, next, linkKey, operation, key);
        }
      }
      return join(real, ...segments.slice(depth));
    }
    return null;
  }

  /**
   * `forWrite` plus what is at the target now (its lstat, or of the link's target when it is a link), resolved from
   * the parent folder first so that a new file in an existing folder costs one realpath and one lstat.
   * `parentExists` tells whether the target's folder is known to exist already.
   */
  async forWriteStat(
    key: string,
    operation: string,
  ): Promise<{ path: string; stats: Stats | undefined; parentExists: boolean }> {
    this.checkKey(key, operation);
    const slash = key.lastIndexOf('/');
    const parent = slash < 0 ? '' : key.slice(0, slash);
    if (key !== '' && !(this.segmented && parent === '')) {
      const realParent = await this.existing(parent, operation);
      if (realParent !== null) {
        const next = join(realParent, await spelled(realParent, key.slice(slash + 1)));
        let stats: Stats | undefined;
        let notDir = false;
        try {
          stats = await lstat(next);
        } catch (err) {
          if ((err as { code?: unknown }).code === 'ENOTDIR') notDir = true;
          else if (!isMissing(err)) throw err;
        }
        // (ENOTDIR: the "folder" is a file; the general path below reports that as before.)
        if (notDir) return this.forWriteGeneral(key, operation);
        if (!stats) return { path: next, stats: undefined, parentExists: true };
        if (!stats.isSymbolicLink()) return { path: next, stats, parentExists: true };
        // A link: follow it as forWrite does (the real target, checked; a dangling link is refused).
        const real = await this.existing(key, operation);
        if (real === null) {
          const { root } = await this.locate(key, operation);
          const realRoot = root === null ? null : await this.realRoot(root, false);
          if (realRoot === null) throw this.escape(operation, key);
          throw await this.danglingLink(realRoot, next, key, operation, key);
        }
        return { path: real, stats: await lstat(real), parentExists: true };
      }
    }
    return this.forWriteGeneral(key, operation);
  }

  private async forWriteGeneral(
    key: string,
    operation: string,
  ): Promise<{ path: string; stats: Stats | undefined; parentExists: boolean }> {
    const path = await this.forWrite(key, operation);
    let stats: Stats | undefined;
    try {
      stats = await lstat(path);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    return { path, stats, parentExists: false };
  }

  /**
   * The path of a key's own directory entry (its folder resolved and checked, the last component not followed):
   * what delete and rename act on, so that a link is removed or moved itself. Null when its folder is missing.
   */
  async entry(key: string, operation: string): Promise<{ path: string; isRoot: boolean } | null> {
    this.checkKey(key, operation);
    const slash = key.lastIndexOf('/');
    if (key === '') {
      const { root } = await this.locate(key, operation);
      const real = root === null ? null : await this.realRoot(root, false);
      return real === null ? null : { path: real, isRoot: true };
    }
    const parent = slash < 0 ? '' : key.slice(0, slash);
    if (this.segmented && parent === '') {
      const real = await this.existing(key, operation);
      return real === null ? null : { path: real, isRoot: true };
    }
    const realParent = await this.existing(parent, operation);
    if (realParent === null) return null;
    return { path: join(realParent, await spelled(realParent, key.slice(slash + 1))), isRoot: false };
  }
}
