import { UfsError, describeContext, notTlsError, type ErrorContext } from '@org/core';

/**
 * Which mount an error is about, and the protocol of the backend behind it (for a relative mount, its parent's).
 * A bare string is a mount name whose protocol is not known.
 */
export type ErrorSite = string | { mount: string; protocol?: string };

/**
 * The context of an error about a key of a mount, filled as the backends fill theirs:
 * `{ backend: 'local', mount: 'docs', operation: 'read', path: 'docs:a.txt' }`, so that its message reads
 * `[ufs] [local] read "docs:a.txt": …` whichever layer raised it. Without a known protocol there is no `backend`
 * (`[ufs] read "docs:a.txt": …`): the mount is named once, in the path.
 */
export function keyContext(site: ErrorSite, operation: string, key: string): ErrorContext {
  const { mount, protocol } = typeof site === 'string' ? { mount: site, protocol: undefined } : site;
  return { ...(protocol ? { backend: protocol } : {}), mount, operation, path: `${mount}:${key}` };
}

/** An error about a key of a mount: `[ufs] [local] stat "docs:a.txt": no such file or folder`. */
export function keyError(
  code: UfsError['code'],
  site: ErrorSite,
  operation: string,
  key: string,
  detail: string,
  extra: { context?: ErrorContext; cause?: unknown } = {},
): UfsError {
  const context = { ...keyContext(site, operation, key), ...extra.context };
  return new UfsError(code, `${describeContext(context)} ${detail}`, { context, cause: extra.cause });
}

/**
 * `[ufs] [s3] presignGet "photos:a.jpg": the s3 backend of mount "photos" does not support presignGet`. `site` is the
 * mount (`{ mount, protocol }`, or its name alone) and `path` the key in it.
 */
export function unsupported(site: ErrorSite, operation: string, path: string, why?: string): UfsError {
  return keyError('UNSUPPORTED', site, operation, path, why ?? 'not supported by this mount');
}

/** `[ufs] [local] write "photos:a.jpg": mount "photos" is readonly` (`site` and `path` as for `unsupported`). */
export function permissionDenied(site: ErrorSite, operation: string, path: string, why: string): UfsError {
  return keyError('PERMISSION_DENIED', site, operation, path, why);
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
 * A path written with a trailing `/` names a folder: `[ufs] [memory] delete "b:t.txt/": "t.txt" is a file, not a
 * folder` when a file is there, or, for an operation on files (write, append), that the path names a folder.
 */
export function notAFolder(site: ErrorSite, operation: string, path: string, file: boolean): UfsError {
  const detail = file
    ? `"${path}" is a file, not a folder (a path ending in "/" names a folder)`
    : 'a path ending in "/" names a folder, not a file';
  return keyError('INVALID_INPUT', site, operation, `${path}/`, detail);
}

export function invalidInput(site: ErrorSite, operation: string, path: string, detail: string): UfsError {
  return keyError('INVALID_INPUT', site, operation, path, detail);
}

export function notFound(
  site: ErrorSite,
  operation: string,
  path: string,
  detail = 'no such file or folder',
): UfsError {
  return keyError('NOT_FOUND', site, operation, path, detail);
}

/**
 * An address a backend sends its requests to, as the mount configured it: the URL, and the option or environment
 * variable it came from (`endpoint`, `AWS_ENDPOINT_URL_S3`), named when it is wrong; `fix` words the advice for
 * the `http://` form of `url` when the default (`try <option>: http://…`, `try <VARIABLE>=http://…`) does not fit.
 */
export interface ConfiguredAddress {
  url: string;
  option: string;
  /** True when `option` is an environment variable. */
  env?: boolean;
  fix?: (plainUrl: string) => string;
}

/**
 * A request to an `https://` address whose server does not speak TLS (OpenSSL's `wrong version number`): CONFIG_INVALID
 * naming the address and the option to change, not retryable (core's `notTlsError`; secrets redacted), e.g.
 * `[ufs] [s3] stat "s3x:a.txt": the server does not speak TLS (HTTPS) at https://127.0.0.1:7480 … try endpoint:
 * http://127.0.0.1:7480`. Undefined for any other failure, an `http://` address, or no known address.
 */
export function plainHttpAnswerError(
  err: unknown,
  address: ConfiguredAddress | undefined,
  context: ErrorContext,
): UfsError | undefined {
  if (address === undefined) return undefined;
  const fix =
    address.fix ??
    ((plain: string) => (address.env ? `try ${address.option}=${plain}` : `try ${address.option}: ${plain}`));
  return notTlsError(err, address.url, context, fix);
}
