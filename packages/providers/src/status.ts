import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toUfsError, type ProviderInfo, type UfsError } from '@org/core';
import type { Env } from './env.js';
import { knownProviders, loadProvider } from './registry.js';
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

/** Whether a provider can upload with this configuration, and if not why and how to fix it. No network. */
export async function providerStatus(
  id: string,
  env: Env = process.env,
  options: Record<string, unknown> = {},
): Promise<ProviderStatusReport> {
  const provider = await loadProvider(id);
  const state = provider.status(env, options);
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

/**
 * Uploads a small generated file to one provider (no fallback) and verifies it by download (unless the service is
 * single-download), then deletes it where the service allows. Never throws for the provider's failure: the answer
 * says what happened.
 */
export async function checkOnline(
  id: string,
  options: Omit<UploadFileOptions, 'providers' | 'fragile'> = {},
): Promise<OnlineCheck> {
  const provider = await loadProvider(id);
  const dir = await mkdtemp(join(tmpdir(), 'ufs-check-'));
  const path = join(dir, `ufs-check-${randomBytes(4).toString('hex')}.txt`);
  const started = performance.now();
  try {
    await writeFile(path, `ufs online check ${new Date().toISOString()} ${randomBytes(16).toString('hex')}\n`);
    const result = await uploadFile(path, { ...options, providers: [id], fragile: true });
    const check: OnlineCheck = { id, ok: true, ms: Math.round(performance.now() - started), result };
    if (provider.delete && (result.deleteToken || result.deleteUrl)) {
      try {
        // The settings the upload had (options over config over defaults): the same timeouts, provider options, env.
        const settings = await resolveUploadSettings({ ...options, providers: [id], fragile: true });
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
    return {
      id,
      ok: false,
      ms: Math.round(performance.now() - started),
      error: toUfsError(err, { provider: id, operation: 'check' }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
