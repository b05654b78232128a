import { UfsError, describeContext, type BackendCapabilities, type Layer } from '@org/core';
import { keyContext } from '../errors.js';
import { interceptBackend, type BackendOperation } from './intercept.js';

/**
 * Mount permissions, from least to most:
 * - `readonly`: stat, read, list, URLs for reading, versions listing, localPath for reading;
 * - `readwrite`: also write, overwrite, append, mkdir, copy into the mount, set metadata, upload URLs; no delete
 *   (and so no rename/move, which deletes the source, and no deleting versions);
 * - `delete`: everything (the default).
 */
export type Permission = 'readonly' | 'readwrite' | 'delete';
export const PERMISSIONS: readonly Permission[] = ['readonly', 'readwrite', 'delete'];

/** What an operation needs. */
export type Access = 'read' | 'write' | 'delete';

export const OPERATION_ACCESS: Readonly<Record<BackendOperation, Access>> = {
  stat: 'read',
  read: 'read',
  list: 'read',
  presignGet: 'read',
  versions: 'read',
  localPath: 'read',
  write: 'write',
  mkdir: 'write',
  append: 'write',
  copy: 'write',
  setMetadata: 'write',
  presignPut: 'write',
  delete: 'delete',
  rename: 'delete',
};

export function permits(permission: Permission, access: Access): boolean {
  return PERMISSIONS.indexOf(permission) >= (access === 'read' ? 0 : access === 'write' ? 1 : 2);
}

/** Capabilities that a permission level takes away. */
export function capabilitiesFor(capabilities: BackendCapabilities, permission: Permission): BackendCapabilities {
  if (permission === 'delete') return capabilities;
  const removed: Partial<BackendCapabilities> =
    permission === 'readonly'
      ? {
          write: false,
          delete: false,
          append: false,
          copy: false,
          rename: false,
          presignPut: false,
          conditionalWrite: false,
          atomicWrite: false,
          metadata: false,
        }
      : { delete: false, rename: false };
  // `metadata` stays readable under readonly (stat still returns it) but cannot be set: the flag means "settable".
  return { ...capabilities, ...removed };
}

const OPTIONAL_WRITES = ['copy', 'rename', 'append', 'presignPut', 'setMetadata'] as const;

/**
 * Enforces a permission level: denied operations throw PERMISSION_DENIED naming the label (the mount) and the
 * operation (`[ufs] [local] write "docs:a.txt": mount "docs" is readonly (…)`; without a label, the protocol and the
 * bare key); denied optional operations disappear and the capabilities say so.
 */
export function permissionLayer(permission: Permission, label?: string): Layer {
  return (inner) => {
    const name = label ?? inner.protocol;
    const wrapped = interceptBackend(
      inner,
      (call, next) => {
        const access = OPERATION_ACCESS[call.op];
        if (!permits(permission, access)) {
          // Labelled with its mount (as the manager does), it names the key as the mount's other errors do.
          const where =
            label === undefined
              ? { backend: name, operation: call.op, path: call.key }
              : keyContext({ mount: label, protocol: inner.protocol }, call.op, call.key);
          const context = { ...where, permission };
          throw new UfsError(
            'PERMISSION_DENIED',
            `${describeContext(context)} mount "${name}" is ${permission} (${call.op} needs ${access === 'write' ? 'readwrite' : 'delete'} permission)`,
            { context },
          );
        }
        return next();
      },
      { capabilities: capabilitiesFor(inner.capabilities, permission) },
    );
    const removable = wrapped as unknown as Record<string, unknown>;
    for (const op of OPTIONAL_WRITES) if (!permits(permission, OPERATION_ACCESS[op])) delete removable[op];
    return wrapped;
  };
}

/** The read-only layer: a `readonly` permission layer. */
export function readonlyLayer(label?: string): Layer {
  return permissionLayer('readonly', label);
}
