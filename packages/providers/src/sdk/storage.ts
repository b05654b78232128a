import { StorageManager } from '@org/storage';
import { UfsError, describeContext, isUfsError, toUfsError, type ErrorContext } from '@org/core';
import type { DeleteContext, SendContext, SentUpload } from '../kit/define.js';
import { requestSignals, signalError } from '../http/signals.js';
import type { Env } from '../env.js';
import type { MountSettings } from '../providers/mount.js';

/** The caller's manager, or a fresh one over the configured mounts (disposed after the call). */
async function openStorage(
  settings: MountSettings,
  env: Env,
): Promise<{ storage: StorageManager; done(): Promise<void> }> {
  if (settings.storage) return { storage: settings.storage, done: async () => undefined };
  const storage = new StorageManager({ env });
  try {
    await storage.configure(settings.mounts!);
  } catch (err) {
    await storage.dispose().catch(() => undefined);
    throw err;
  }
  return { storage, done: () => storage.dispose() };
}

/** Refuses a target whose mount is not configured (before anything is written). */
export function checkMount(storage: StorageManager, settings: MountSettings, context: ErrorContext): void {
  if (storage.hasMount(settings.mount)) return;
  const known = storage.mountNames();
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

/** Streams the file into the mount with `node.write`, then makes its URL. */
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
  try {
    opened = await openStorage(settings, ctx.env);
    const { storage } = opened;
    checkMount(storage, settings, context);
    const mode = urlModeFor(storage, settings, context);
    if (mode === 'public' && lifetimeMs !== undefined) {
      throw new UfsError(
        'INVALID_INPUT',
        `${describeContext(context)} expire applies to presigned URLs; mount "${settings.mount}" gives public URLs`,
        { context, retryable: false },
      );
    }
    const node = storage.node(fullpath);
    const outcome = await node.write(ctx.bytes(), {
      size: ctx.source.size,
      ...(ctx.source.contentType ? { contentType: ctx.source.contentType } : {}),
      ifNotExists: settings.ifNotExists,
      ...(signals.signal ? { signal: signals.signal } : {}),
    });
    // What identifies the file as written (its ETag; from a stat where the write gives none): a clean-up deletes
    // the file only while it is still this one.
    const etag = outcome.etag ?? (await node.stat().catch(() => undefined))?.etag;
    const written = etag !== undefined ? { written: etag } : {};
    let sent: SentUpload;
    if (mode === 'public') {
      sent = { url: await node.url({ public: true }), deleteToken: fullpath, ...written };
    } else {
      const seconds = Math.max(1, Math.round((lifetimeMs ?? settings.expiresInMs) / 1000));
      const started = Date.now();
      const url = await node.url({ expiresIn: seconds });
      sent = { url, deleteToken: fullpath, expiresAt: new Date(started + seconds * 1000), ...written };
    }
    await opened.done();
    return sent;
  } catch (err) {
    // The failure is what the caller needs; a clean-up failure after it would only hide it.
    await opened?.done().catch(() => undefined);
    throw signalError(signals, context, err) ?? providerError(err, context);
  }
}

/** Deletes the uploaded file (`deleteToken` is its `mount:path`). */
export async function mountDelete(settings: MountSettings, fullpath: string, ctx: DeleteContext): Promise<void> {
  const context: ErrorContext = { ...ctx.context, target: fullpath };
  const signals = requestSignals(ctx.signal, ctx.timeoutMs);
  let opened: Awaited<ReturnType<typeof openStorage>> | undefined;
  try {
    opened = await openStorage(settings, ctx.env);
    checkMount(opened.storage, settings, context);
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
