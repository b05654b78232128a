import { StorageManager, loadConfigFile, mountsNeeded, type MountsSource } from '@org/storage';
import { UfsError, describeContext, isUfsError, toUfsError, type ErrorContext } from '@org/core';
import type { DeleteContext, SendContext, SentUpload } from '../kit/define.js';
import { requestSignals, signalError } from '../http/signals.js';
import type { Env } from '../env.js';
import type { MountSettings } from '../providers/mount.js';

/**
 * What to configure for the target: its mount and the mounts that one is built on (the parent of a relative mount,
 * the mount holding a zip mount's archive), taken from the mounts given (read from their file), and the names of all
 * of them (for the error naming a target on no configured mount). The other mounts of the list are never opened, so
 * one that cannot be (a key file missing, a credential unset) changes nothing. Throws what configuring the list
 * would for a file that cannot be read or an entry without a valid name; `names` is unset when the mounts given are
 * not a list of mounts at all (configuring them then says why).
 */
export async function targetMounts(
  settings: MountSettings,
  env: Env,
): Promise<{ names?: string[]; mounts: MountsSource }> {
  const source: unknown = settings.mounts;
  const list =
    typeof source === 'string'
      ? await loadConfigFile(source)
      : Array.isArray(source)
        ? source
        : typeof source === 'object' && source !== null
          ? (source as { mounts?: unknown }).mounts
          : undefined;
  if (!Array.isArray(list)) return { mounts: settings.mounts! };
  const mounts = mountsNeeded(list, settings.mount, { env });
  const names = [...new Set(list.map((mount) => (mount as { name: string }).name))].sort();
  return { names, mounts };
}

/**
 * The caller's manager, or a fresh one over the target's mount and those it is built on (disposed after the call);
 * a target on no configured mount is refused before any mount is opened.
 */
async function openStorage(
  settings: MountSettings,
  env: Env,
  context: ErrorContext,
): Promise<{ storage: StorageManager; done(): Promise<void> }> {
  if (settings.storage) {
    checkMount(settings.storage.mountNames(), settings, context);
    return { storage: settings.storage, done: async () => undefined };
  }
  const { names, mounts } = await targetMounts(settings, env);
  if (names) checkMount(names, settings, context);
  const storage = new StorageManager({ env });
  try {
    await storage.configure(mounts);
    checkMount(storage.mountNames(), settings, context);
  } catch (err) {
    await storage.dispose().catch(() => undefined);
    throw err;
  }
  return { storage, done: () => storage.dispose() };
}

/** Refuses a target whose mount is not among the configured mounts `known` (before anything is written). */
export function checkMount(known: readonly string[], settings: MountSettings, context: ErrorContext): void {
  if (known.includes(settings.mount)) return;
  throw new UfsError(
    'CONFIG_INVALID',
    `${describeContext(context)} no mount named "${settings.mount}" (target); mounts: ${known.length > 0 ? known.join(', ') : '(none)'}`,
    { context, retryable: false },
  );
}

/**
 * A storage error under the provider's name, code and retry hints kept:
 * `[ufs] [mount] upload "a.txt": [pub] write "uploads/a.txt": bucket "x" does not exist`.
 */
function providerError(err: unknown, context: ErrorContext): UfsError {
  // Errors made here already speak for the provider; storage's own (and Node's) get its name in front.
  if (isUfsError(err) && err.context.provider === context.provider) return err;
  const inner = toUfsError(err, {});
  return new UfsError(inner.code, `${describeContext(context)} ${inner.message.replace(/^\[ufs\]\s*/, '')}`, {
    context: { ...inner.context, ...context },
    cause: err,
    retryable: inner.retryable,
    retryAfterMs: inner.retryAfterMs,
  });
}

/** Which URL to make: as asked, else presigned where the mount signs, else public; refused before writing. */
export function urlModeFor(
  storage: StorageManager,
  settings: MountSettings,
  context: ErrorContext,
): 'public' | 'presigned' {
  const caps = storage.capabilities(settings.mount);
  const { protocol } = storage.getMount(settings.mount);
  const mode = settings.urlMode ?? (caps.presignGet || !caps.publicUrl ? 'presigned' : 'public');
  const refuse = (why: string) =>
    new UfsError('UNSUPPORTED', `${describeContext(context)} mount "${settings.mount}" (${protocol}) ${why}`, {
      context,
      retryable: false,
    });
  if (mode === 'presigned' && !caps.presignGet) {
    throw refuse(
      caps.publicUrl
        ? 'cannot presign URLs: use urlMode public'
        : 'gives no URLs: it neither presigns nor has a public base URL (baseUrl on local/http, publicBaseUrl on s3)',
    );
  }
  if (mode === 'public' && !caps.publicUrl) {
    throw refuse('has no public URL: set its baseUrl (local/http) or publicBaseUrl (s3), or use urlMode presigned');
  }
  return mode;
}

/** `691200` → `8d`, `14400` → `4h`: seconds in the largest unit that divides them (d, h, m, else s). */
function durationText(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * The lifetime, in seconds, of the presigned URL to make, checked against what the mount can sign before anything
 * is written: `expire` (as the user gave it), else `expiresIn`, else 24 h (or the one lifetime of a mount whose links
 * have one, such as Dropbox's 4 h). A lifetime over the mount's longest (`presignMaxSeconds`: 7 days on S3), or
 * other than its only one (`presignFixedSeconds`), is INVALID_INPUT naming the setting as it was given.
 */
export function presignSeconds(
  storage: StorageManager,
  settings: MountSettings,
  expire: string | undefined,
  lifetimeMs: number | undefined,
  context: ErrorContext,
): number {
  const caps = storage.capabilities(settings.mount);
  const { protocol } = storage.getMount(settings.mount);
  const fixed = caps.presignFixedSeconds;
  if (fixed !== undefined && lifetimeMs === undefined && !settings.expiresInGiven) return fixed;
  const seconds = Math.max(1, Math.round((lifetimeMs ?? settings.expiresInMs) / 1000));
  const asked =
    lifetimeMs !== undefined && expire !== undefined
      ? `expire ${JSON.stringify(expire)}`
      : `expiresIn ${durationText(Math.max(1, Math.round(settings.expiresInMs / 1000)))}`;
  const refuse = (why: string) =>
    new UfsError('INVALID_INPUT', `${describeContext(context)} ${asked} ${why}`, { context, retryable: false });
  if (fixed !== undefined && seconds !== fixed) {
    throw refuse(
      `cannot be given: mount "${settings.mount}" (${protocol}) presigns links of one lifetime, ${durationText(fixed)} (give that, or leave it out)`,
    );
  }
  const max = caps.presignMaxSeconds;
  if (max !== undefined && seconds > max) {
    throw refuse(
      `is longer than mount "${settings.mount}" (${protocol}) can presign: at most ${durationText(max)}; nothing was written`,
    );
  }
  return seconds;
}

/** Deletes the file written, only while it is still that one (by its ETag); says what became of it. */
async function deleteWritten(
  node: ReturnType<StorageManager['node']>,
  etag: string | undefined,
  timeoutMs: number | undefined,
): Promise<{ deleted: boolean; how: string; error?: string }> {
  try {
    const signal = AbortSignal.timeout(timeoutMs ?? 60_000);
    const stat = await node.stat({ signal }).catch((err: unknown) => {
      if (isUfsError(err) && err.code === 'NOT_FOUND') return undefined;
      throw err;
    });
    if (stat === undefined) return { deleted: true, how: 'is gone already' };
    if (etag !== undefined && stat.etag !== undefined && stat.etag !== etag) {
      const error = 'not deleted: another upload has replaced it since';
      return { deleted: false, how: `was ${error}`, error };
    }
    await node.delete({ signal });
    return { deleted: true, how: 'was deleted again' };
  } catch (err) {
    const reason = toUfsError(err, {}).message.replace(/^\[ufs\]\s*/, '');
    return { deleted: false, how: `is left behind (not deleted: ${reason})`, error: reason };
  }
}

/**
 * After a failure that followed the write: deletes the file written (not when the caller stopped the upload), and
 * says what became of it in the error (`context.copy`, its `mount:path`, which is also its delete token;
 * `context.copyDeleted`; `context.copyDeleteError`, why it was not deleted), so it is never lost track of: the
 * orchestrator puts it in the report entry (`url`, `deleteToken`, `deleted`, `deleteError`).
 */
async function withCopyRemoved(
  error: UfsError,
  written: { node: ReturnType<StorageManager['node']>; etag: string | undefined },
  fullpath: string,
  ctx: SendContext,
): Promise<UfsError> {
  const outcome: { deleted: boolean; how: string; error?: string } = ctx.signal?.aborted
    ? { deleted: false, how: 'is left behind (the upload was stopped)', error: 'the upload was stopped' }
    : await deleteWritten(written.node, written.etag, ctx.timeoutMs);
  return new UfsError(error.code, `${error.message}; the file written, ${fullpath}, ${outcome.how}`, {
    context: {
      ...error.context,
      copy: fullpath,
      copyDeleted: outcome.deleted,
      ...(outcome.error !== undefined ? { copyDeleteError: outcome.error } : {}),
    },
    cause: error.cause ?? error,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs,
  });
}

/**
 * Streams the file into the mount with `node.write`, then makes its URL. Everything the URL needs is checked first
 * (the mount, the kind of URL, the presigned lifetime); a failure after the write deletes the file written again
 * (or, when that fails, names it in the error).
 */
export async function mountUpload(
  settings: MountSettings,
  key: string,
  lifetimeMs: number | undefined,
  ctx: SendContext,
): Promise<SentUpload> {
  const fullpath = `${settings.mount}:${key}`;
  const context: ErrorContext = { ...ctx.context, target: fullpath };
  const signals = requestSignals(ctx.signal, ctx.timeoutMs);
  let opened: Awaited<ReturnType<typeof openStorage>> | undefined;
  let written: { node: ReturnType<StorageManager['node']>; etag: string | undefined } | undefined;
  try {
    opened = await openStorage(settings, ctx.env, context);
    const { storage } = opened;
    const mode = urlModeFor(storage, settings, context);
    if (mode === 'public' && lifetimeMs !== undefined) {
      throw new UfsError(
        'INVALID_INPUT',
        `${describeContext(context)} expire applies to presigned URLs; mount "${settings.mount}" gives public URLs`,
        { context, retryable: false },
      );
    }
    const seconds =
      mode === 'presigned' ? presignSeconds(storage, settings, ctx.options.expire, lifetimeMs, context) : 0;
    const node = storage.node(fullpath);
    const outcome = await node.write(ctx.bytes(), {
      size: ctx.source.size,
      ...(ctx.source.contentType ? { contentType: ctx.source.contentType } : {}),
      ifNotExists: settings.ifNotExists,
      ...(signals.signal ? { signal: signals.signal } : {}),
    });
    written = { node, etag: outcome.etag };
    // What identifies the file as written (its ETag; from a stat where the write gives none): a clean-up deletes
    // the file only while it is still this one.
    const etag = outcome.etag ?? (await node.stat().catch(() => undefined))?.etag;
    written.etag = etag;
    const identity = etag !== undefined ? { written: etag } : {};
    let sent: SentUpload;
    if (mode === 'public') {
      sent = { url: await node.url({ public: true }), deleteToken: fullpath, ...identity };
    } else {
      const started = Date.now();
      const url = await node.url({ expiresIn: seconds });
      sent = { url, deleteToken: fullpath, expiresAt: new Date(started + seconds * 1000), ...identity };
    }
    await opened.done();
    return sent;
  } catch (err) {
    let error = signalError(signals, context, err) ?? providerError(err, context);
    if (written) error = await withCopyRemoved(error, written, fullpath, ctx);
    // The failure is what the caller needs; a clean-up failure after it would only hide it.
    await opened?.done().catch(() => undefined);
    throw error;
  }
}

/** Deletes the uploaded file (`deleteToken` is its `mount:path`). */
export async function mountDelete(settings: MountSettings, fullpath: string, ctx: DeleteContext): Promise<void> {
  const context: ErrorContext = { ...ctx.context, target: fullpath };
  const signals = requestSignals(ctx.signal, ctx.timeoutMs);
  let opened: Awaited<ReturnType<typeof openStorage>> | undefined;
  try {
    opened = await openStorage(settings, ctx.env, context);
    const node = opened.storage.node(fullpath);
    if (ctx.written !== undefined) {
      const stat = await node.stat(signals.signal ? { signal: signals.signal } : {}).catch((err: unknown) => {
        if (isUfsError(err) && err.code === 'NOT_FOUND') return undefined;
        throw err;
      });
      if (stat === undefined) {
        await opened.done();
        return; // already gone
      }
      if (stat.etag !== undefined && stat.etag !== ctx.written) {
        throw new UfsError(
          'INTEGRITY',
          `${describeContext(context)} not deleted: ${fullpath} is no longer the file this upload wrote (ETag ${stat.etag}, not ${ctx.written}): another upload replaced it`,
          { context, retryable: false },
        );
      }
    }
    await node.delete(signals.signal ? { signal: signals.signal } : {});
    await opened.done();
  } catch (err) {
    // The failure is what the caller needs; a clean-up failure after it would only hide it.
    await opened?.done().catch(() => undefined);
    throw signalError(signals, context, err) ?? providerError(err, context);
  }
}
