import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { UfsError, toUfsError, type ProviderInfo } from '@org/core';
import type { Env } from './env.js';
import { assertKnownProviders, knownProviders, loadProvider } from './registry.js';
import { checkProviderOptions } from './provider-options.js';
import type { ProviderReport } from './orchestrator/events.js';
import { uploadFile, type UploadFileResult } from './orchestrator/upload-file.js';
import { resolveUploadSettings, type UploadFileOptions } from './orchestrator/settings.js';

export interface ProviderStatusReport {
  id: string;
  name: string;
  ready: boolean;
  /** Why it is not ready. */
  reason?: string;
  /** How to make it ready. */
  help?: string;
  info: ProviderInfo;
}

/**
 * Whether a provider can upload with this configuration, and if not why and how to fix it: the checks its upload
 * makes before sending anything (for `mount`: its mounts configuration loads and holds the target's mount). No
 * network.
 */
export async function providerStatus(
  id: string,
  env: Env = process.env,
  options: Record<string, unknown> = {},
): Promise<ProviderStatusReport> {
  const provider = await loadProvider(id);
  let state: { ready: boolean; reason?: string; help?: string } = provider.status(env, options);
  if (state.ready && id === 'mount') {
    // Loaded only here: it brings @org/storage, as the mount upload does.
    const { mountProblem } = await import('./status-mount.js');
    const problem = await mountProblem(env, options);
    if (problem) state = { ready: false, ...problem };
  }
  return {
    id,
    name: provider.info.name,
    ready: state.ready,
    ...(state.reason ? { reason: state.reason } : {}),
    ...(state.help ? { help: state.help } : {}),
    info: provider.info,
  };
}

/** Every registered provider's info, in registry order (loads no SDK). */
export async function listProviders(): Promise<ProviderInfo[]> {
  const infos: ProviderInfo[] = [];
  // One at a time: module loading is cheap, and jest's ESM loader races on parallel imports of shared modules.
  for (const id of knownProviders()) infos.push((await loadProvider(id)).info);
  return infos;
}

/**
 * The status of every registered provider; `providerOptions` (per id, as `uploadFile` takes them, e.g. from the
 * config file) count as they do for an upload (`{ pixeldrain: { apiKey } }` makes pixeldrain ready).
 */
export async function providerStatuses(
  env: Env = process.env,
  providerOptions: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {},
): Promise<ProviderStatusReport[]> {
  // Refused as uploadFile refuses them (its `providerOptions`): an unknown provider id, an unknown or wrong option.
  assertKnownProviders(Object.keys(providerOptions), 'providerOptions', 'input');
  checkProviderOptions(providerOptions);
  const reports: ProviderStatusReport[] = [];
  for (const id of knownProviders()) reports.push(await providerStatus(id, env, { ...providerOptions[id] }));
  return reports;
}

export interface OnlineCheck {
  id: string;
  ok: boolean;
  ms: number;
  result?: UploadFileResult;
  error?: UfsError;
  /** Set when the test upload was removed again (providers that support delete). */
  deleted?: boolean;
  deleteError?: UfsError;
}

export interface CheckOnlineOptions extends Omit<UploadFileOptions, 'providers' | 'fragile'> {
  /**
   * Folder in which the check makes its temporary folder (removed afterwards). Default: the system's (`os.tmpdir()`:
   * `TMPDIR`, else `/tmp`).
   */
  tempDir?: string;
}

/**
 * Uploads a small generated file to one provider (no fallback) and verifies it by download (unless the service is
 * single-download), then deletes it where the service allows. Never throws for the provider's failure, nor for a
 * temporary folder that cannot be made (CONFIG_INVALID naming it): the answer says what happened. Its `error` says
 * why in the provider's terms (`[ufs] [0x0] check: HTTP 503: busy`), without the temporary file's path.
 */
export async function checkOnline(id: string, options: CheckOnlineOptions = {}): Promise<OnlineCheck> {
  const provider = await loadProvider(id);
  const { tempDir, ...uploadOptions } = options;
  const started = performance.now();
  const failed = (error: UfsError): OnlineCheck => ({
    id,
    ok: false,
    ms: Math.round(performance.now() - started),
    error,
  });
  const parent = tempDir ?? tmpdir();
  let dir: string;
  try {
    dir = await mkdtemp(join(parent, 'ufs-check-'));
  } catch (err) {
    return failed(tempDirError(id, parent, tempDir === undefined ? undefined : 'option tempDir', err));
  }
  const path = join(dir, `ufs-check-${randomBytes(4).toString('hex')}.txt`);
  try {
    await writeFile(path, `ufs online check ${new Date().toISOString()} ${randomBytes(16).toString('hex')}\n`);
    const result = await uploadFile(path, { ...uploadOptions, providers: [id], fragile: true });
    const check: OnlineCheck = { id, ok: true, ms: Math.round(performance.now() - started), result };
    if (provider.delete && (result.deleteToken || result.deleteUrl)) {
      try {
        // The settings the upload had (options over config over defaults): the same timeouts, provider options, env.
        const settings = await resolveUploadSettings({ ...uploadOptions, providers: [id], fragile: true });
        await provider.delete(result, {
          ...settings.providerOptions[id],
          env: settings.env,
          signal: options.signal,
          timeoutMs: settings.timeoutMs,
          idleTimeoutMs: settings.idleTimeoutMs,
        });
        check.deleted = true;
      } catch (err) {
        check.deleted = false;
        check.deleteError = toUfsError(err, { provider: id, operation: 'delete' });
      }
    }
    return check;
  } catch (err) {
    return failed(checkError(id, err, path));
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Which setting chose the temporary folder: the variable `os.tmpdir()` read, if one was set. */
function tempDirSource(): string {
  const names = process.platform === 'win32' ? ['TEMP', 'TMP'] : ['TMPDIR', 'TMP', 'TEMP'];
  const set = names.find((name) => process.env[name]);
  return set ?? 'the system default; set TMPDIR to choose another';
}

/** A temporary folder that cannot be made (missing, not a folder, not writable): the setting is wrong, CONFIG_INVALID. */
function tempDirError(id: string, parent: string, source: string | undefined, err: unknown): UfsError {
  const why = toUfsError(err).message.replace(/^\[ufs\]\s*/, '');
  return new UfsError(
    'CONFIG_INVALID',
    `[ufs] [${id}] not checked: cannot make a temporary folder in "${parent}" (${source ?? tempDirSource()}): ${why}`,
    { context: { provider: id, operation: 'check', path: parent }, cause: err, retryable: false },
  );
}

/**
 * The failure of a check as the provider's own reason (`[ufs] [0x0] check: no complete answer within 2 s`): the
 * upload's wording around it (`upload "/tmp/ufs-check-…/….txt": failed on 0x0 (fragile: no fallback):`) names a
 * temporary file the user never chose. Code and retry hint are the provider's.
 */
function checkError(id: string, err: unknown, path: string): UfsError {
  const error = toUfsError(err, { provider: id, operation: 'check' });
  const failures = (error.context as { failures?: unknown }).failures;
  const report =
    Array.isArray(failures) && failures.length === 1 ? (failures[0] as ProviderReport | undefined) : undefined;
  const name = basename(path);
  let reason = (report?.reason ?? error.message).split(path).join(name);
  for (const prefix of ['[ufs] ', `[${id}] `, `upload "${name}": `]) {
    if (reason.startsWith(prefix)) reason = reason.slice(prefix.length);
  }
  return new UfsError(report?.code ?? error.code, `[ufs] [${id}] check: ${reason}`, {
    context: { provider: id, operation: 'check' },
    cause: error,
    retryable: report?.retryable ?? error.retryable,
  });
}
