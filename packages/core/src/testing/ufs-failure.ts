import { isUfsError, type UfsError } from '../errors/ufs-error.js';

/** The UfsError `promise` rejects with; throws (naming what came instead) when it resolves or rejects otherwise. */
export async function ufsFailure(promise: Promise<unknown>): Promise<UfsError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isUfsError(error)) throw new Error(`expected a UfsError, got ${String(error)}`);
  return error;
}
