import { z } from 'zod';
import { defineBackend } from '../../backend-definition.js';
import { createHttpBackend, PROTOCOL } from './backend.js';
import { badPortMessage, fetchRefusedPort } from '../../util/fetch-ports.js';
import type { FetchFunction } from './fetch-stream.js';
import { credentialsProblem } from './credentials.js';

export { createHttpBackend, type HttpBackendOptions } from './backend.js';

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const optionsSchema = z
  .object({
    baseUrl: z
      .string({ error: 'baseUrl is required: the http(s) URL that keys are resolved against' })
      .refine(isHttpUrl, 'baseUrl must be an absolute http:// or https:// URL')
      .superRefine((value, ctx) => {
        const port = fetchRefusedPort(value);
        if (port !== undefined) ctx.addIssue({ code: 'custom', message: badPortMessage('baseUrl', port) });
      }),
    /** Sent with every request (e.g. `authorization`). */
    headers: z.record(z.string(), z.string(), { error: 'headers must map header names to strings' }).default({}),
    /** Time allowed for the answer's headers, and for each wait on the body. */
    timeoutMs: z.number().int().positive('timeoutMs must be a positive number of milliseconds').default(30_000),
    /** A server that answers a ranged GET with the whole file: skip bytes client-side (streamed) or fail. */
    ignoredRange: z.enum(['skip', 'fail']).default('skip'),
    /** A fetch implementation to use instead of the global one (proxies, tests). */
    fetch: z.custom<FetchFunction>((value) => typeof value === 'function', 'fetch must be a function').optional(),
  })
  .strict()
  // `https://user:password@host/…`: HTTP Basic auth, so no `Authorization` header beside it.
  .superRefine((options, ctx) => {
    const problem = credentialsProblem(options.baseUrl, options.headers);
    if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  });

export type HttpOptions = z.output<typeof optionsSchema>;

export default defineBackend({
  protocol: PROTOCOL,
  description: 'read-only files over HTTP(S): HEAD for stat, ranged GET for reads, public URLs',
  options: optionsSchema,
  create: (options, context) => createHttpBackend(options, context.mountName),
  // `https://host/path?token=…` → the URL itself is the base (its `user:password@`, if any, becomes Basic auth).
  fromUrl: (url) => ({ baseUrl: url.href }),
});
