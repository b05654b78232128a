import { StorageManager } from '@org/storage';
import { toUfsError } from '@org/core';
import type { Env } from './env.js';
import { mountSettings } from './providers/mount.js';
import { checkMount, presignSeconds, targetMounts, urlModeFor } from './sdk/storage.js';

/** Why the mount provider would refuse an upload before writing anything, and how to fix it. */
export interface MountProblem {
  reason: string;
  help: string;
}

/** An error's message without the `[ufs] ` every message starts with (the status row has its own context). */
function reasonOf(err: unknown): string {
  return toUfsError(err).message.replace(/^\[ufs\]\s*/, '');
}

const URL_HELP =
  'give the mount a public base URL (baseUrl on local/http, publicBaseUrl on s3), or set urlMode (or UFS_MOUNT_URL_MODE) to what the mount can give';
const LIFETIME_HELP =
  'give providerOptions.mount.expiresIn a lifetime the mount can presign (S3: at most 7d), or leave it out for 24 h';
const TARGET_HELP = 'give a target on a configured mount (providerOptions.mount.target or UFS_MOUNT_TARGET)';
const CONFIG_HELP = 'fix the mounts configuration (providerOptions.mount.mounts, or the file UFS_MOUNTS names)';

/**
 * The checks of the mount provider's settings that its upload makes before writing (the same `targetMounts`,
 * `checkMount` and `urlModeFor` as `sdk/storage.ts`): the mounts configuration loads (a file that exists and holds
 * mounts, each with a valid name), the target's mount is one of them, that mount and those it is built on open (the
 * other mounts are not opened, as the upload does not open them), it gives the kind of URL asked for, and it can
 * presign `expiresIn`. Nothing is written and no request is sent. Called only once the provider's own `status` found
 * its options and env variables complete (so `mountSettings` does not throw).
 */
export async function mountProblem(env: Env, options: Record<string, unknown>): Promise<MountProblem | undefined> {
  const settings = mountSettings(options, env);
  let own: StorageManager | undefined;
  try {
    let storage = settings.storage;
    if (!storage) {
      let target: Awaited<ReturnType<typeof targetMounts>>;
      try {
        target = await targetMounts(settings, env);
      } catch (err) {
        return { reason: reasonOf(err), help: CONFIG_HELP };
      }
      if (target.names) {
        try {
          checkMount(target.names, settings, {});
        } catch (err) {
          return { reason: reasonOf(err), help: TARGET_HELP };
        }
      }
      own = new StorageManager({ env });
      try {
        await own.configure(target.mounts);
      } catch (err) {
        return { reason: reasonOf(err), help: CONFIG_HELP };
      }
      storage = own;
    }
    try {
      checkMount(storage.mountNames(), settings, {});
    } catch (err) {
      return { reason: reasonOf(err), help: TARGET_HELP };
    }
    let mode: 'public' | 'presigned';
    try {
      mode = urlModeFor(storage, settings, {});
    } catch (err) {
      return { reason: reasonOf(err), help: URL_HELP };
    }
    if (mode === 'presigned') {
      try {
        presignSeconds(storage, settings, undefined, undefined, {});
      } catch (err) {
        return { reason: reasonOf(err).replace(/; nothing was written$/, ''), help: LIFETIME_HELP };
      }
    }
    return undefined;
  } catch (err) {
    return { reason: reasonOf(err), help: TARGET_HELP };
  } finally {
    await own?.dispose().catch(() => undefined);
  }
}
