import picomatch from 'picomatch';
import { describeContext, normalizeKey, toUfsError, UfsError, type ErrorContext, type ListPage } from '@org/core';
import { invalidInput, keyContext, notAFolder } from '../errors.js';
import type { UnreadableEntry } from '../util/unreadable.js';
import { walkPage } from '../util/walk.js';
import { backendFor, guard, siteOf } from './access.js';
import { statOrNull } from './stat.js';
import type { StorageNode } from './storage-node.js';
import type { DeleteNodeOptions, ListNodeOptions, MkdirNodeOptions } from './types.js';

export async function mkdirNode(node: StorageNode, options: MkdirNodeOptions = {}): Promise<void> {
  const backend = backendFor(node, 'mkdir', 'write', 'write');
  await guard(node, 'mkdir', () =>
    backend.mkdir(node.path, { parents: options.parents ?? false, existOk: options.existOk ?? false }),
  );
}

/**
 * Deletes a file, or a folder (with `recursive` when it is not empty). Deleting what is not there succeeds.
 * On a node from `atVersion(id)` it deletes that version only.
 */
export async function deleteNode(node: StorageNode, options: DeleteNodeOptions = {}): Promise<void> {
  if (node.versionId !== undefined) {
    if (node.folderOnly) throw notAFolder(siteOf(node), 'deleteVersion', node.path, false);
    const backend = backendFor(node, 'deleteVersion', 'delete', 'versioning', 'versions');
    await guard(node, 'deleteVersion', () =>
      backend.delete(node.path, { versionId: node.versionId, signal: options.signal }),
    );
    return;
  }
  const backend = backendFor(node, 'delete', 'delete', 'delete');
  // `t.txt/` names a folder: a file there is INVALID_INPUT, never deleted.
  if (node.folderOnly) await statOrNull(node, options.signal, 'delete');
  await guard(node, 'delete', () =>
    backend.delete(node.path, { recursive: options.recursive ?? false, signal: options.signal }),
  );
}

function matcherFor(glob: ListNodeOptions['glob']): ((path: string) => boolean) | undefined {
  if (glob === undefined) return undefined;
  const patterns = typeof glob === 'string' ? [glob] : [...glob];
  if (patterns.length === 0) return undefined;
  return picomatch(patterns, { dot: true });
}

function isDeepGlob(glob: ListNodeOptions['glob']): boolean {
  const patterns = typeof glob === 'string' ? [glob] : [...(glob ?? [])];
  return patterns.some((p) => p.includes('/') || p.includes('**'));
}

export interface NodePage {
  nodes: StorageNode[];
  /** Present when more entries follow: pass it as `cursor` to get the next page. */
  cursor?: string;
}

/**
 * One page of the folder's entries (children, or everything below with `recursive`), filtered by `glob`. A page may
 * hold fewer nodes than `pageSize` when the glob filters some out; follow `cursor` until it is absent.
 */
export async function listPage(node: StorageNode, options: ListNodeOptions = {}): Promise<NodePage> {
  const backend = backendFor(node, 'list', 'read', 'list');
  if (node.versionId !== undefined)
    throw invalidInput(siteOf(node), 'list', node.path, 'a file version cannot be listed');
  const recursive = options.recursive ?? isDeepGlob(options.glob);
  const matches = matcherFor(options.glob);
  const page: ListPage = await guard(node, 'list', () => {
    const request = { recursive, pageSize: options.pageSize, cursor: options.cursor, signal: options.signal };
    if (recursive && !backend.capabilities.recursiveList) {
      // A walk's cursor of another listing is refused naming the folder as the mount's own listings do.
      const refuse = (detail: string) => invalidInput(siteOf(node), 'list', node.path, detail);
      return walkPage(backend, node.path, request, refuse);
    }
    return backend.list(node.path, request);
  });
  const offset = node.path === '' ? 0 : node.path.length + 1;
  const nodes: StorageNode[] = [];
  for (const entry of page.entries) {
    const key = listedKey(node, entry.key, options);
    if (key === undefined || (matches && !matches(key.slice(offset)))) continue;
    const { key: _raw, unreadable, ...stat } = entry as Partial<UnreadableEntry> & typeof entry;
    if (unreadable) {
      options.onUnreadable?.(leftOut(node, key, unreadable, stat.isDir));
      // Nothing is known of an entry that is neither file nor folder: it is left out. A folder is there, unread.
      if (!stat.isDir) continue;
    }
    nodes.push(node.nodeAt(key, stat));
  }
  return page.cursor === undefined ? { nodes } : { nodes, cursor: page.cursor };
}

/**
 * The key of a listed entry. The one place where names from a backend (a local folder, a bucket, a server) become
 * keys: a name that can never be one (a control character, a backslash, a look-alike separator) is left out and
 * reported to `onInvalidName`, so that it never hides its siblings. Names in another Unicode form (NFD) become
 * their NFC key.
 */
function listedKey(node: StorageNode, raw: string, options: ListNodeOptions): string | undefined {
  try {
    return normalizeKey(raw, { allowRoot: false });
  } catch (err) {
    const cause = toUfsError(err);
    const prefix = `[ufs] invalid path ${JSON.stringify(raw)}: `;
    const why = cause.message.startsWith(prefix) ? cause.message.slice(prefix.length) : cause.message;
    const context = reportContext(node, raw);
    // The name is quoted as JSON: a control character in it is shown, not printed.
    const shown = describeContext({ ...context, path: JSON.stringify(context.path).slice(1, -1) });
    const message = `${shown} left out of the listing: ${why}`;
    options.onInvalidName?.(new UfsError('INVALID_INPUT', message, { context, cause }));
    return undefined;
  }
}

/**
 * The report of a listed entry the backend could not read: `[ufs] [local] list "docs:key": left out of the listing:
 * why` (for a folder: `its contents are left out of the listing: why`), with the backend's code and error as the
 * cause.
 */
function leftOut(node: StorageNode, key: string, cause: UfsError, isDir: boolean): UfsError {
  const prefix = `${describeContext(cause.context)} `;
  const why = cause.message.startsWith(prefix) ? cause.message.slice(prefix.length) : cause.message;
  const context = reportContext(node, key);
  const what = isDir ? 'its contents are left out of the listing' : 'left out of the listing';
  return new UfsError(cause.code, `${describeContext(context)} ${what}: ${why}`, { context, cause });
}

/**
 * A listing report names the entry as every error about a key does: `[ufs] [local] list "docs:key":`, with
 * `context.path` `docs:key` (the copy engine takes it as the failed entry's path, see `onLeftOut` in copy/engine.ts).
 */
function reportContext(node: StorageNode, key: string): ErrorContext {
  return keyContext(siteOf(node), 'list', key);
}

/** Every entry, page after page (only one page in memory at a time). */
export async function* listNodes(node: StorageNode, options: ListNodeOptions = {}): AsyncGenerator<StorageNode> {
  let cursor = options.cursor;
  do {
    const page = await listPage(node, { ...options, cursor });
    yield* page.nodes;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** The direct children of a folder, all pages. */
export async function childrenOf(
  node: StorageNode,
  options: Pick<ListNodeOptions, 'glob' | 'signal' | 'onInvalidName' | 'onUnreadable'> = {},
): Promise<StorageNode[]> {
  const out: StorageNode[] = [];
  for await (const child of listNodes(node, { ...options, recursive: false })) out.push(child);
  return out;
}
