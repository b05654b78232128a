import { toUfsError, type BackendCapabilities, type StorageBackend } from '@org/core';
import { keyContext, permissionDenied, unsupported, type ErrorSite } from '../errors.js';
import type { Access } from '../layers/permission.js';
import type { StorageNode } from './storage-node.js';

type Flag = {
  [K in keyof BackendCapabilities]: BackendCapabilities[K] extends boolean ? K : never;
}[keyof BackendCapabilities];
type Method =
  'copy' | 'rename' | 'append' | 'presignGet' | 'presignPut' | 'publicUrl' | 'versions' | 'setMetadata' | 'localPath';

/**
 * The mount's backend for an operation, after checking that the mount can do it: a capability turned off by the
 * mount's permissions is PERMISSION_DENIED (naming the mount that refuses), one the backend lacks is UNSUPPORTED.
 */
export function backendFor(
  node: StorageNode,
  operation: string,
  access: Access,
  capability?: Flag,
  method?: Method,
): StorageBackend {
  const mount = node.mount;
  const backend = mount.backend();
  const capable = capability === undefined || backend.capabilities[capability];
  const present = method === undefined || typeof backend[method] === 'function';
  if (capable && present && !mount.denial(access)) return backend;
  const denial = mount.denial(access);
  if (denial) throw permissionDenied(siteOf(node), operation, node.path, denial.reason);
  throw unsupported(
    siteOf(node),
    operation,
    node.path,
    `the ${backend.protocol} backend of mount "${node.mountName}" does not support ${operation}`,
  );
}

/**
 * The node's mount and its protocol, for errors about the node: they then read as its backend's own errors do,
 * `[ufs] [local] stat "docs:a.txt": …` (see `keyContext`). A mount that is gone by now is named without protocol.
 */
export function siteOf(node: StorageNode): ErrorSite {
  let protocol: string | undefined;
  try {
    protocol = node.mount.protocolName();
  } catch {
    // Removed since: the error names the mount only.
  }
  return { mount: node.mountName, protocol };
}

/** Runs a node operation so that any failure is a UfsError that names the node. */
export async function guard<T>(node: StorageNode, operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toUfsError(err, keyContext(siteOf(node), operation, node.path));
  }
}
