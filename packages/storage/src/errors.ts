import { UfsError, describeContext } from '@org/core';

/** `[ufs] [photos] presignGet "a.jpg": the local backend does not support this operation`. */
export function unsupported(mount: string, operation: string, path: string, why?: string): UfsError {
  const context = { backend: mount, mount, operation, path };
  return new UfsError('UNSUPPORTED', `${describeContext(context)} ${why ?? 'not supported by this mount'}`, {
    context,
  });
}

/** `[ufs] [photos] write "a.jpg": mount "photos" is readonly`. */
export function permissionDenied(mount: string, operation: string, path: string, why: string): UfsError {
  const context = { backend: mount, mount, operation, path };
  return new UfsError('PERMISSION_DENIED', `${describeContext(context)} ${why}`, { context });
}

/** `[ufs] mount "photos": "bucket" is required`. */
export function configInvalid(mount: string | undefined, detail: string, cause?: unknown): UfsError {
  const where = mount === undefined ? '[ufs]' : `[ufs] mount "${mount}":`;
  return new UfsError('CONFIG_INVALID', `${where} ${detail}`, {
    context: { operation: 'configure', mount },
    cause,
  });
}

/**
 * A path written with a trailing `/` names a folder: `[ufs] [b] delete "t.txt/": "t.txt" is a file, not a folder`
 * when a file is there, or, for an operation on files (write, append), that the path names a folder.
 */
export function notAFolder(mount: string, operation: string, path: string, file: boolean): UfsError {
  const context = { backend: mount, mount, operation, path: `${path}/` };
  const detail = file
    ? `"${path}" is a file, not a folder (a path ending in "/" names a folder)`
    : 'a path ending in "/" names a folder, not a file';
  return new UfsError('INVALID_INPUT', `${describeContext(context)} ${detail}`, { context });
}

export function invalidInput(mount: string, operation: string, path: string, detail: string): UfsError {
  const context = { backend: mount, mount, operation, path };
  return new UfsError('INVALID_INPUT', `${describeContext(context)} ${detail}`, { context });
}

export function notFound(mount: string, operation: string, path: string, detail = 'no such file or folder'): UfsError {
  const context = { backend: mount, mount, operation, path };
  return new UfsError('NOT_FOUND', `${describeContext(context)} ${detail}`, { context });
}
