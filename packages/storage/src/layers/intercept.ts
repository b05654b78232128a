import type { StorageBackend } from '@org/core';

/** Every backend operation a layer can see. */
export type BackendOperation =
  | 'stat'
  | 'read'
  | 'write'
  | 'list'
  | 'delete'
  | 'mkdir'
  | 'copy'
  | 'rename'
  | 'append'
  | 'presignGet'
  | 'presignPut'
  | 'versions'
  | 'setMetadata'
  | 'localPath';

export const REQUIRED_OPERATIONS = ['stat', 'read', 'write', 'list', 'delete', 'mkdir'] as const;
export const OPTIONAL_OPERATIONS = [
  'copy',
  'rename',
  'append',
  'presignGet',
  'presignPut',
  'versions',
  'setMetadata',
  'localPath',
] as const;

/** One call going through a layer. `args` are the backend method's arguments, as given. */
export interface BackendCall {
  op: BackendOperation;
  /** The key operated on (the source for copy/rename). */
  key: string;
  /** The destination key of copy/rename. */
  to?: string;
  args: readonly unknown[];
}

/** Runs the inner backend's method, with the original arguments or replaced ones. */
export type Next = (args?: readonly unknown[]) => Promise<unknown>;

export type Interceptor = (call: BackendCall, next: Next) => Promise<unknown>;

/** Index of the options argument that carries `signal`, per operation. */
const SIGNAL_ARG: Partial<Record<BackendOperation, number>> = {
  stat: 1,
  read: 1,
  write: 2,
  list: 1,
  delete: 1,
  copy: 2,
  append: 2,
};

/** The caller's AbortSignal of a call, if it passed one. */
export function signalOf(call: BackendCall): AbortSignal | undefined {
  const index = SIGNAL_ARG[call.op];
  if (index === undefined) return undefined;
  return (call.args[index] as { signal?: AbortSignal } | undefined)?.signal;
}

/** The call's arguments with `signal` replaced (for operations whose options carry one). */
export function withSignal(call: BackendCall, signal: AbortSignal): readonly unknown[] {
  const index = SIGNAL_ARG[call.op];
  if (index === undefined) return call.args;
  const args = [...call.args];
  while (args.length <= index) args.push(undefined);
  args[index] = { ...(args[index] as object | undefined), signal };
  return args;
}

function settle<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run();
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Builds a backend that routes every operation of `inner` through `intercept`. Optional operations exist on the
 * result only when `inner` has them, and capabilities are `inner`'s unless replaced: layers stay honest.
 */
export function interceptBackend(
  inner: StorageBackend,
  intercept: Interceptor,
  overrides: Partial<Pick<StorageBackend, 'capabilities' | 'protocol'>> = {},
): StorageBackend {
  const method =
    (op: BackendOperation) =>
    (...args: unknown[]) => {
      const call: BackendCall = {
        op,
        key: args[0] as string,
        to: op === 'copy' || op === 'rename' ? (args[1] as string) : undefined,
        args,
      };
      const fn = inner[op] as (...a: unknown[]) => Promise<unknown>;
      // Synchronous throws (a denied permission, a faulty backend) become rejections, as callers expect.
      const next: Next = (replaced = args) => settle(() => fn.apply(inner, [...replaced]));
      return settle(() => intercept(call, next));
    };
  const backend: Record<string, unknown> = {
    protocol: overrides.protocol ?? inner.protocol,
    capabilities: overrides.capabilities ?? inner.capabilities,
  };
  for (const op of REQUIRED_OPERATIONS) backend[op] = method(op);
  for (const op of OPTIONAL_OPERATIONS) if (typeof inner[op] === 'function') backend[op] = method(op);
  if (inner.publicUrl) backend.publicUrl = (key: string) => inner.publicUrl!(key);
  if (inner.dispose) backend.dispose = () => inner.dispose!();
  return backend as unknown as StorageBackend;
}
