import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { normalizeKey, type StorageBackend } from '@org/core';

/**
 * Where a key of a backend really lives, so that two mounts naming the same storage (two S3 mounts on one bucket,
 * one with a prefix; two SFTP mounts of one server) are known to be one object under two names.
 */
export interface KeyLocation {
  /**
   * A URL of the object that does not depend on how the mount reaches it: `s3://host:port/bucket/objectKey`,
   * `sftp://user@host:port/absolute/path`. Equal URLs are the same object; a key below a folder has the folder's URL
   * followed by `/`.
   */
  url: string;
  /**
   * When the server may be this machine (an SFTP server whose host is this machine): the absolute path the key would
   * have here. Only a hint: it is trusted when this machine has the same entry there (see `copy/identity.ts`).
   */
  localCandidate?: string;
}

/** A backend that can tell where its keys live (`location`). */
export interface LocatedBackend extends StorageBackend {
  location(key: string): Promise<KeyLocation | undefined>;
}

/** The location of a key of a raw backend (before layers), undefined when the backend cannot tell. */
export async function locationOf(backend: StorageBackend, key: string): Promise<KeyLocation | undefined> {
  const located = backend as Partial<LocatedBackend>;
  if (typeof located.location !== 'function') return undefined;
  // A location that cannot be worked out (a connection that fails) proves nothing; the operation itself will fail.
  return located.location(key).catch(() => undefined);
}

/** `url` below `folder`, or the folder itself. */
export function locationWithin(folder: string, url: string): boolean {
  return url === folder || url.startsWith(folder.endsWith('/') ? folder : `${folder}/`);
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3})$/i;

/**
 * Whether a host is this machine: a loopback name or address, or a name that resolves to a loopback address or to
 * an address of one of this machine's interfaces (the machine's own host name). A name that does not resolve is not.
 */
export async function isThisMachine(host: string): Promise<boolean> {
  const bare = host.trim().replace(/^\[|\]$/g, '');
  if (LOOPBACK.test(bare)) return true;
  const own = new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((address) => address?.address),
  );
  const resolved = await lookup(bare, { all: true }).catch(() => []);
  return resolved.some(({ address }) => LOOPBACK.test(address) || own.has(address));
}

/**
 * The location of a key of a blob store whose mount names `prefix` of a container or bucket: `base` (the container's
 * or bucket's URL without query, e.g. `azure://127.0.0.1:10000/devstoreaccount1/box`) then the blob name. Names are
 * compared as they are (blob names are case-sensitive).
 */
export function blobLocation(base: string, prefix: string | undefined, key: string): KeyLocation {
  const name = [prefix ? normalizeKey(prefix) : '', key].filter((part) => part !== '').join('/');
  return { url: name === '' ? base : `${base}/${name}` };
}

/**
 * The base location of a container or bucket at `serviceUrl`
 * (`https://account.blob.core.windows.net/container?sv=…`): `<scheme>://<host>/<path>` with the host in lower case
 * and no query or fragment (which may hold a SAS token). The path is decoded (`/my%20dir` is `/my dir`), as the keys
 * `blobLocation` appends to it are: a URL spelling a character encoded and one spelling it plainly, or keys with
 * spaces or non-ASCII characters below either, then give one location. It is in Unicode NFC, as keys are: a path
 * typed in NFD (`cafe\u0301`) and one in NFC (`caf\u00e9`) give one location too.
 */
export function serviceBase(scheme: string, serviceUrl: string, ...names: string[]): string {
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(serviceUrl) ? serviceUrl : `https://${serviceUrl}`);
  const decoded = url.pathname.split('/').map(decodeSegment).join('/');
  const path = [decoded.replace(/\/+$/, ''), ...names]
    .join('/')
    .replace(/\/{2,}/g, '/')
    .normalize('NFC');
  return `${scheme}://${url.host.toLowerCase()}${path.startsWith('/') ? path : `/${path}`}`.replace(/\/$/, '');
}

/** One percent-encoded path segment decoded; a malformed one (`%zz`) as it is. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Gives a backend a `location` (for backends whose class does not define one); returns the same backend. */
export function withLocation<T extends StorageBackend>(
  backend: T,
  locate: (key: string) => KeyLocation,
): T & LocatedBackend {
  return Object.assign(backend, { location: async (key: string) => locate(key) });
}
