import { configInvalid } from '../errors.js';
import { resolveProtocol } from '../registry.js';
import { interpolateEnv, type Env } from './interpolate.js';
import { validateMountName, type MountConfig } from './mount-config.js';

export interface MountsNeededOptions {
  /** Where `${VAR}` in the values naming other mounts is looked up. Default `process.env`. */
  env?: Env;
  /** Mounts to leave out, with what they are built on (those already configured on the manager). */
  skip?: (name: string) => boolean;
}

/**
 * The mounts of a list that configuring the mount `name` needs: that mount and, in turn, the mounts it is built on
 * (the parent of a relative mount, the mount holding a zip mount's archive), in the list's order. Configuring them
 * alone gives the error configuring the whole list gives when they are its only problem: a mount the list does not
 * hold is left out (a missing parent is then named as missing), every entry of a name given twice is kept (and
 * refused), and a cycle is refused. The other mounts are not read at all: one that cannot be opened (a key file
 * missing, a credential unset, an unset `${VAR}`) changes nothing. Only what makes the list itself unusable throws,
 * as `configure()` does: an entry that is not an object or has no valid name.
 *
 * ```ts
 * const mounts = [{ name: 'www', protocol: 'local', root: '/srv/www' }, { name: 'pub', path: 'www:pub' }, sftpMount];
 * await storage.configure(mountsNeeded(mounts, 'pub')); // www and pub; the sftp mount is not opened
 * ```
 */
export function mountsNeeded(
  mounts: readonly unknown[],
  name: string,
  options: MountsNeededOptions = {},
): MountConfig[] {
  const env = options.env ?? process.env;
  const byName = new Map<string, MountConfig[]>();
  for (const mount of mounts) {
    if (mount === null || typeof mount !== 'object' || Array.isArray(mount))
      throw configInvalid(undefined, 'each mount must be an object');
    const named = validateMountName((mount as { name?: unknown }).name);
    byName.set(named, [...(byName.get(named) ?? []), mount as MountConfig]);
  }
  const wanted = new Set<string>();
  const visit = (current: string) => {
    if (wanted.has(current) || !byName.has(current) || options.skip?.(current)) return;
    wanted.add(current);
    for (const mount of byName.get(current)!) for (const other of mountDependencies(mount, env)) visit(other);
  };
  visit(name);
  return (mounts as readonly MountConfig[]).filter((mount) => wanted.has(mount.name));
}

/**
 * The other mounts a mount config is built on, as the storage manager reads them: the parent of a relative mount
 * (`path: parent:folder`, without `protocol` or `url`), the mount of a zip mount's archive (`archive: mount:file.zip`,
 * or `zip://mount/file.zip`). A value that cannot be read here (an unset `${VAR}`) names none: configuring the mount
 * then says what is wrong with it.
 */
export function mountDependencies(mount: MountConfig, env: Env = process.env): string[] {
  const text = (key: string): string | undefined => {
    const value = mount[key];
    if (typeof value !== 'string') return undefined;
    try {
      return interpolateEnv(value, env, mount.name, [key]);
    } catch {
      return undefined;
    }
  };
  const before = (value: string | undefined) =>
    value && value.includes(':') ? [value.slice(0, value.indexOf(':'))] : [];
  const url = text('url');
  const found = [...before(text('archive'))];
  if (mount.protocol === undefined && mount.url === undefined) found.push(...before(text('path')));
  if (url !== undefined) {
    try {
      const parsed = new URL(url);
      if (resolveProtocol(parsed.protocol.slice(0, -1).toLowerCase()) === 'zip') found.push(parsed.hostname);
    } catch {
      // not a URL: configuring the mount says so
    }
  }
  return found;
}
