import { normalizeKey, type StorageBackend } from '@org/core';
import { z } from 'zod';
import { defineBackend } from '../../backend-definition.js';
import { PROTOCOL, ZipBackend } from './backend.js';

export { ZipBackend, type ZipBackendOptions } from './backend.js';

function isBackend(value: unknown): value is StorageBackend {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<StorageBackend>;
  return typeof candidate.read === 'function' && typeof candidate.stat === 'function' && !!candidate.capabilities;
}

function isArchiveKey(value: string): boolean {
  try {
    return normalizeKey(value) !== '';
  } catch {
    return false;
  }
}

const optionsSchema = z
  .object({
    /** The backend holding the archive. In config, the storage manager fills it from `archive: 'mount:path'`. */
    source: z
      .custom<StorageBackend>(
        isBackend,
        'source must be a StorageBackend (the backend of the mount holding the archive)',
      )
      .optional(),
    /** The archive's key on `source`. */
    key: z.string().refine(isArchiveKey, 'key must be the path of the .zip file on the source mount').optional(),
    /** Config form `'mount:path/to/file.zip'`: resolved by the storage manager into `source` + `key`. */
    archive: z.string().optional(),
    /** Where archives whose source cannot read ranges are copied. Default: the OS temp folder. */
    tempDir: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.source && options.key) return;
    const message = options.archive
      ? `archive "${options.archive}" must be resolved by the storage manager into source (the backend of mount ` +
        `"${options.archive.split(':')[0]}") and key`
      : 'a zip mount needs archive: "mount:path/to/file.zip" (or source + key when created in code)';
    ctx.addIssue({ code: 'custom', path: options.source ? ['key'] : ['source'], message });
  });

export type ZipOptions = z.output<typeof optionsSchema>;

export default defineBackend({
  protocol: PROTOCOL,
  description: 'read-only view of a .zip archive stored on another mount (range reads, never downloaded whole)',
  options: optionsSchema,
  create: (options, context) =>
    new ZipBackend(
      { source: options.source!, key: normalizeKey(options.key!), tempDir: options.tempDir },
      context.mountName,
    ),
  // `zip://files/bundles/site.zip` → archive "files:bundles/site.zip" (resolved by the manager like the config form).
  fromUrl: (url) => ({ archive: `${url.hostname}:${decodeURIComponent(url.pathname).replace(/^\/+/, '')}` }),
});
