import { ListObjectsV2Command, type _Object } from '@aws-sdk/client-s3';
import type { EntryStat, ListOptions, ListPage } from '@org/core';
import type { S3Context } from './context.js';
import { foreignCursorDetail, pageSizeOf as sharedPageSizeOf } from '../../util/paginate.js';
import { unreadableEntry } from '../../util/unreadable.js';
import { unaddressableReason, unquoteEtag } from './keys.js';
import { folderEntry } from '../../util/entries.js';
import { blobTreePage, decodeTreeState, encodeTreeState } from '../../util/blob-tree.js';

/** S3 returns at most 1000 keys per request. */
const MAX_PAGE = 1000;

function fileEntry(key: string, object: _Object): EntryStat {
  const entry: EntryStat = { key, isFile: true, isDir: false, size: object.Size ?? 0 };
  if (object.LastModified) entry.mtime = object.LastModified;
  const etag = unquoteEtag(object.ETag);
  if (etag) entry.etag = etag;
  return entry;
}

/**
 * An object whose key no path can name (an empty, `.` or `..` segment: `a//b.txt`, `./c.txt`; a name not in NFC):
 * it is reported, as every entry a listing leaves out, never passed over in silence. `raw` is its key below the
 * mount as it is (the node layer reports the entry's error; a caller of the backend sees an unreadable entry).
 */
function unaddressable(s3: S3Context, raw: string): EntryStat {
  const reason = unaddressableReason(raw.replace(/\/$/, '')) ?? 'it has an empty, "." or ".." segment';
  const shown = JSON.stringify(raw).replace(
    /[^\u0020-\u007e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const why = `no path can name the object key ${shown}: ${reason}`;
  return unreadableEntry(raw, s3.error('INVALID_INPUT', 'list', raw, why));
}

/** The page size asked for (refused as on every backend: see util/paginate.ts), at most S3's 1000. */
function pageSizeOf(s3: S3Context, key: string, options: ListOptions): number {
  return Math.min(
    sharedPageSizeOf(options, (detail) => s3.error('INVALID_INPUT', 'list', key, detail), MAX_PAGE),
    MAX_PAGE,
  );
}

// Cursors say which kind of listing made them and which folder it lists (bucket and object prefix, so that a cursor
// of another folder, or of a mount with another root, is refused instead of resuming at a wrong place):
// `l.<base64url JSON [listing, continuation token]>` (one level) or `r.<base64url JSON [after, last, listing]>`
// holding the object key to resume after and the last key listed (whose folders are already out).
function badCursor(s3: S3Context, key: string, kind: string): never {
  throw s3.error('INVALID_INPUT', 'list', key, `this cursor does not come from a ${kind} listing of this backend`);
}

function listingOf(s3: S3Context, key: string): string {
  return `${s3.bucket}/${s3.keys.folder(key)}`;
}

function foreign(s3: S3Context, key: string, recursive: boolean): never {
  throw s3.error('INVALID_INPUT', 'list', key, foreignCursorDetail({ key, recursive }));
}

function decodeParts(cursor: string): unknown[] | undefined {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor.slice(2), 'base64url').toString('utf8'));
    return Array.isArray(parts) && parts.every((part) => typeof part === 'string') ? parts : undefined;
  } catch {
    return undefined;
  }
}

function levelCursor(s3: S3Context, key: string, cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  if (!cursor.startsWith('l.')) badCursor(s3, key, 'one-level');
  const parts = decodeParts(cursor);
  if (parts?.length !== 2 || parts[1] === '') return badCursor(s3, key, 'one-level');
  if (parts[0] !== listingOf(s3, key)) foreign(s3, key, false);
  return parts[1] as string;
}

function encodeLevelCursor(s3: S3Context, key: string, token: string): string {
  return `l.${Buffer.from(JSON.stringify([listingOf(s3, key), token]), 'utf8').toString('base64url')}`;
}

interface TreeCursor {
  after: string;
  /** Relative to the listed folder. */
  last: string;
}

function treeCursor(s3: S3Context, key: string, cursor: string | undefined): TreeCursor | undefined {
  if (cursor === undefined) return undefined;
  if (!cursor.startsWith('r.')) badCursor(s3, key, 'recursive');
  const parts = decodeParts(cursor);
  if (parts?.length !== 3) return badCursor(s3, key, 'recursive');
  if (parts[2] !== listingOf(s3, key)) foreign(s3, key, true);
  return { after: parts[0] as string, last: parts[1] as string };
}

function encodeTreeCursor(s3: S3Context, key: string, cursor: TreeCursor): string {
  const parts = [cursor.after, cursor.last, listingOf(s3, key)];
  return `r.${Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url')}`;
}

/** One page of the files and sub-folders (common prefixes) directly under the folder `key`. */
export async function list(s3: S3Context, key: string, options: ListOptions = {}): Promise<ListPage> {
  try {
    return options.recursive ? await listTree(s3, key, options) : await listLevel(s3, key, options);
  } catch (err) {
    throw s3.fail(err, 'list', key);
  }
}

async function listLevel(s3: S3Context, key: string, options: ListOptions): Promise<ListPage> {
  const prefix = s3.keys.folder(key);
  const response = await s3.client.send(
    new ListObjectsV2Command({
      Bucket: s3.bucket,
      Prefix: prefix || undefined,
      Delimiter: '/',
      MaxKeys: pageSizeOf(s3, key, options),
      ContinuationToken: levelCursor(s3, key, options.cursor),
    }),
    { abortSignal: options.signal },
  );
  const entries: EntryStat[] = [];
  const below = (objectKey: string) => objectKey.slice(prefix.length - (key === '' ? 0 : key.length + 1));
  for (const common of response.CommonPrefixes ?? []) {
    if (common.Prefix === undefined) continue;
    const folder = s3.keys.relative(common.Prefix.slice(0, -1));
    // A prefix with an empty or dot segment (`a//`, `./`): its trailing slash is kept, so that it stays unnamable.
    entries.push(folder !== undefined ? folderEntry(folder) : unaddressable(s3, below(common.Prefix)));
  }
  for (const object of response.Contents ?? []) {
    // `folder/` itself is a folder marker (made by consoles and other tools), not a file in the folder.
    if (object.Key === undefined || object.Key === prefix) continue;
    const file = s3.keys.relative(object.Key);
    entries.push(file !== undefined ? fileEntry(file, object) : unaddressable(s3, below(object.Key)));
  }
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const token = response.IsTruncated ? response.NextContinuationToken : undefined;
  return token ? { entries, cursor: encodeLevelCursor(s3, key, token) } : { entries };
}

/**
 * One page of everything below the folder `key`: files, and each sub-folder once, just before its first entry (see
 * util/blob-tree.ts, shared with Azure and GCS). A page holds at most `pageSize` entries, folders included: it may
 * end between a folder and its first file, and the next page resumes exactly there (StartAfter the last object
 * consumed, with the last key listed).
 */
async function listTree(s3: S3Context, key: string, options: ListOptions): Promise<ListPage> {
  const prefix = s3.keys.folder(key);
  const pageSize = pageSizeOf(s3, key, options);
  const resume = treeCursor(s3, key, options.cursor);
  const inFolder = (relative: string) => (key === '' ? relative : `${key}/${relative}`);
  // Keys no path can name (empty or dot segments) are reported; the folders above them that can be named are listed.
  const reported = (object: { Key: string }) => unaddressable(s3, inFolder(object.Key.slice(prefix.length)));
  const tree = await blobTreePage<_Object & { Key: string }>({
    key,
    prefix,
    pageSize,
    state: resume && encodeTreeState({ token: resume.after, after: '', last: resume.last }),
    startsAfterName: true,
    fetch: async (startAfter) => {
      const response = await s3.client.send(
        new ListObjectsV2Command({
          Bucket: s3.bucket,
          Prefix: prefix || undefined,
          StartAfter: startAfter,
          MaxKeys: pageSize,
        }),
        { abortSignal: options.signal },
      );
      const items = (response.Contents ?? []).filter((o): o is _Object & { Key: string } => o.Key !== undefined);
      return { items, next: response.IsTruncated ? items.at(-1)?.Key : undefined };
    },
    name: (object) => object.Key,
    fileEntry: (object) => {
      const file = s3.keys.relative(object.Key);
      return file === undefined ? reported(object) : fileEntry(file, object);
    },
    // `folder/` lists as its folder; a marker no path can name is reported.
    markerEntry: (object) => (isMarker(s3, object.Key) ? undefined : reported(object)),
  });
  if (tree.state === undefined) return { entries: tree.entries };
  const state = decodeTreeState(tree.state);
  return { entries: tree.entries, cursor: encodeTreeCursor(s3, key, { after: state.token, last: state.last }) };
}

/** `folder/` objects are addressable as their folder even though the key ends in a slash. */
function isMarker(s3: S3Context, objectKey: string): boolean {
  return objectKey.endsWith('/') && s3.keys.relative(objectKey.slice(0, -1)) !== undefined;
}
