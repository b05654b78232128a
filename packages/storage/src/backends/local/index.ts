import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineBackend } from '../../backend-definition.js';
import { LocalBackend } from './backend.js';
import type { LocalRoot, SegmentRoot } from './paths.js';

export { LocalBackend, type LocalBackendOptions } from './backend.js';
export type { LocalRoot, SegmentRoot } from './paths.js';

const isFunction = (value: unknown): boolean => typeof value === 'function';

const options = z
  .strictObject({
    /** The folder (relative paths resolve against the working directory), or a function called on each access. */
    root: z
      .union([z.string().min(1), z.custom<() => string | Promise<string>>(isFunction)], {
        error: 'must be a folder path or a function returning one',
      })
      .optional(),
    /** A function of the first path segment giving that segment's folder. */
    segmentRoot: z.custom<SegmentRoot>(isFunction, { error: 'must be a function (segment) => folder' }).optional(),
    baseUrl: z.url({ error: 'must be an absolute URL' }).optional(),
    fsync: z.boolean().optional(),
  })
  .superRefine((value, ctx) => {
    if (value.root === undefined && value.segmentRoot === undefined) {
      ctx.addIssue({ code: 'custom', path: ['root'], message: 'is required' });
    }
    if (value.root !== undefined && value.segmentRoot !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['segmentRoot'], message: 'give either "root" or "segmentRoot", not both' });
    }
  });

function flag(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  return value === '' || value === 'true' || value === '1';
}

/**
 * `local`: files in a folder of this machine. Writes are atomic (temporary file + rename, fsync by default),
 * `ifNotExists` is enforced with a hard link, nothing outside the root is reachable (symbolic links included).
 * The root may be a function (called on each access) or `segmentRoot`, a function of the first path segment.
 */
export default defineBackend({
  protocol: 'local',
  description: 'files in a folder of this machine',
  options,
  create: (opts, context) =>
    new LocalBackend({
      root: typeof opts.root === 'string' ? resolve(opts.root) : (opts.root as LocalRoot | undefined),
      segmentRoot: opts.segmentRoot,
      baseUrl: opts.baseUrl,
      fsync: opts.fsync,
      mountName: context.mountName,
    }),
  fromUrl: (url) => {
    if (url.hostname !== '' && url.hostname !== 'localhost')
      throw new Error(`file URLs must not name a host ("${url.hostname}")`);
    const root =
      url.protocol === 'file:' ? fileURLToPath(new URL(`file://${url.pathname}`)) : decodeURIComponent(url.pathname);
    const out: Record<string, unknown> = { root };
    const baseUrl = url.searchParams.get('baseUrl');
    if (baseUrl !== null) out.baseUrl = baseUrl;
    const fsync = flag(url.searchParams.get('fsync'));
    if (fsync !== undefined) out.fsync = fsync;
    return out;
  },
});
