import { createHash } from 'node:crypto';
import { CRC32C } from '@google-cloud/storage';

/**
 * The data model of the fake GCS server: buckets of objects with generations, following the JSON API's object
 * resource (https://cloud.google.com/storage/docs/json_api/v1/objects). With versioning on, replaced and deleted
 * objects stay as noncurrent generations (with `timeDeleted`), as GCS Object Versioning does.
 */
export interface StoredObject {
  name: string;
  generation: number;
  metageneration: number;
  data: Buffer;
  /** base64 digests of `data`, computed once. */
  md5: string;
  crc32c: string;
  contentType: string;
  cacheControl?: string;
  contentDisposition?: string;
  metadata?: Record<string, string>;
  timeCreated: Date;
  updated: Date;
  timeDeleted?: Date;
}

export interface FakeBucket {
  name: string;
  versioning: boolean;
  /** Every call about this bucket is refused with 403, as for a caller without IAM permissions on it. */
  denied: boolean;
  /** name → generations, oldest first; the live one (if any) is the last without timeDeleted. */
  objects: Map<string, StoredObject[]>;
}

export type WritableFields = Partial<Pick<StoredObject, 'contentType' | 'cacheControl' | 'contentDisposition'>> & {
  metadata?: Record<string, string | null> | null;
};

let lastGeneration = Date.now() * 1000;
function nextGeneration(): number {
  lastGeneration = Math.max(lastGeneration + 1, Date.now() * 1000);
  return lastGeneration;
}

export function liveObject(bucket: FakeBucket, name: string): StoredObject | undefined {
  const last = bucket.objects.get(name)?.at(-1);
  return last && !last.timeDeleted ? last : undefined;
}

export function findGeneration(bucket: FakeBucket, name: string, generation: string | null): StoredObject | undefined {
  if (generation === null) return liveObject(bucket, name);
  return bucket.objects.get(name)?.find((o) => String(o.generation) === generation);
}

/** Marks the live generation noncurrent (versioning) or drops it. */
export function retireLive(bucket: FakeBucket, name: string): boolean {
  const versions = bucket.objects.get(name);
  const live = liveObject(bucket, name);
  if (!versions || !live) return false;
  if (bucket.versioning) live.timeDeleted = new Date();
  else versions.pop();
  if (versions.length === 0) bucket.objects.delete(name);
  return true;
}

export function removeGeneration(bucket: FakeBucket, name: string, generation: string): boolean {
  const versions = bucket.objects.get(name);
  const index = versions?.findIndex((o) => String(o.generation) === generation) ?? -1;
  if (!versions || index < 0) return false;
  versions.splice(index, 1);
  if (versions.length === 0) bucket.objects.delete(name);
  return true;
}

export function putObject(
  bucket: FakeBucket,
  name: string,
  data: Buffer,
  fields: WritableFields,
  digests: { md5?: string; crc32c?: string } = {},
): StoredObject {
  retireLive(bucket, name);
  const now = new Date();
  const object: StoredObject = {
    name,
    generation: nextGeneration(),
    metageneration: 1,
    data,
    md5: digests.md5 ?? md5Base64(data),
    crc32c: digests.crc32c ?? crc32cBase64(data),
    contentType: fields.contentType ?? 'application/octet-stream',
    timeCreated: now,
    updated: now,
  };
  applyFields(object, fields);
  const versions = bucket.objects.get(name) ?? [];
  versions.push(object);
  bucket.objects.set(name, versions);
  return object;
}

/** PATCH semantics: given top-level fields replace, `metadata` merges key by key and null removes a key. */
export function applyFields(object: StoredObject, fields: WritableFields): void {
  if (fields.contentType !== undefined) object.contentType = fields.contentType;
  if (fields.cacheControl !== undefined) object.cacheControl = fields.cacheControl;
  if (fields.contentDisposition !== undefined) object.contentDisposition = fields.contentDisposition;
  if (fields.metadata === null) delete object.metadata;
  else if (fields.metadata) {
    const merged: Record<string, string> = { ...object.metadata };
    for (const [k, v] of Object.entries(fields.metadata)) {
      if (v === null) delete merged[k];
      else merged[k] = String(v);
    }
    object.metadata = merged;
  }
}

export function md5Base64(data: Buffer): string {
  return createHash('md5').update(data).digest('base64');
}

export function crc32cBase64(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

export function etagOf(object: StoredObject): string {
  return Buffer.from(`${object.generation}/${object.metageneration}`).toString('base64');
}

/** The JSON API object resource. */
export function objectResource(bucket: FakeBucket, object: StoredObject, endpoint: string): Record<string, unknown> {
  const path = `b/${encodeURIComponent(bucket.name)}/o/${encodeURIComponent(object.name)}`;
  return {
    kind: 'storage#object',
    id: `${bucket.name}/${object.name}/${object.generation}`,
    selfLink: `${endpoint}/storage/v1/${path}`,
    mediaLink: `${endpoint}/download/storage/v1/${path}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: bucket.name,
    generation: String(object.generation),
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.data.length),
    md5Hash: object.md5,
    crc32c: object.crc32c,
    etag: etagOf(object),
    timeCreated: object.timeCreated.toISOString(),
    updated: object.updated.toISOString(),
    timeStorageClassUpdated: object.timeCreated.toISOString(),
    ...(object.timeDeleted ? { timeDeleted: object.timeDeleted.toISOString() } : {}),
    ...(object.cacheControl !== undefined ? { cacheControl: object.cacheControl } : {}),
    ...(object.contentDisposition !== undefined ? { contentDisposition: object.contentDisposition } : {}),
    ...(object.metadata ? { metadata: object.metadata } : {}),
  };
}

export interface ListQuery {
  prefix: string;
  delimiter: string | null;
  maxResults: number;
  pageToken: string | null;
  versions: boolean;
}

/**
 * objects.list: names in lexicographic order; with a delimiter, names with the delimiter after the prefix collapse
 * into `prefixes`. `maxResults` bounds items + prefixes together; the page token is the last name returned.
 */
export function listObjects(bucket: FakeBucket, query: ListQuery) {
  const after = query.pageToken ? Buffer.from(query.pageToken, 'base64url').toString('utf8') : null;
  const names = [...bucket.objects.keys()].filter((n) => n.startsWith(query.prefix)).sort();
  const items: StoredObject[] = [];
  const prefixes: string[] = [];
  let last: string | null = null;
  let more = false;
  for (const name of names) {
    const objects = (bucket.objects.get(name) ?? []).filter((o) => query.versions || !o.timeDeleted);
    if (objects.length === 0) continue;
    const rest = name.slice(query.prefix.length);
    const cut = query.delimiter ? rest.indexOf(query.delimiter) : -1;
    const entry = cut >= 0 ? query.prefix + rest.slice(0, cut + query.delimiter!.length) : name;
    if (after !== null && entry <= after) continue;
    if (entry === last) continue;
    if (items.length + prefixes.length >= query.maxResults) {
      more = true;
      break;
    }
    if (cut >= 0) prefixes.push(entry);
    else items.push(...objects);
    last = entry;
  }
  return { items, prefixes, nextPageToken: more && last ? Buffer.from(last).toString('base64url') : undefined };
}
