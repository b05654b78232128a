import { UfsError } from '@org/core';
import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { postMultipart } from '../kit/http-upload.js';
import { parseDuration } from '../kit/expiry.js';
import { httpCall, header } from '../http/transport.js';
import { parseBoolean } from '../env.js';

const MAX_SIZE = 512 * 1024 * 1024;
const DAY = 86_400_000;
const MIN_AGE = 30 * DAY;
const MAX_AGE = 365 * DAY;

/** 0x0's published retention: 30 days for files at the limit up to 365 days for tiny ones (cubic in size). */
export function retentionMs(size: number): number {
  return MIN_AGE + (MIN_AGE - MAX_AGE) * Math.pow(size / MAX_SIZE - 1, 3);
}

/**
 * 0x0.st: `POST /`, multipart field `file`; optional `expires` (hours, from `expire`) and `secret` (option
 * `secret: true` for a hard-to-guess URL). Answers the URL as text and a removal token in `X-Token`; delete is a
 * POST to the file URL with `token` and `delete` fields.
 */
export default defineProvider({
  info: {
    id: '0x0',
    name: 'The Null Pointer (0x0.st)',
    homepage: 'https://0x0.st',
    maxSize: MAX_SIZE,
    retention: '30 days (at 512 MiB) to 1 year (tiny files), or the chosen expiry if shorter',
    // No fixed choices: `expires` takes any whole number of hours (capped by the size-based retention above).
    auth: 'none',
    env: ['UFS_0X0_URL'],
    capabilities: { expiry: true, singleDownload: false, delete: true, streaming: true },
  },
  baseUrl: { env: 'UFS_0X0_URL', default: 'https://0x0.st' },
  async send(ctx) {
    const fields: [string, string][] = [];
    const started = Date.now();
    let lifetime = retentionMs(ctx.source.size);
    if (ctx.options.expire !== undefined) {
      const hours = Math.ceil(parseDuration(ctx.options.expire, '0x0') / 3_600_000);
      fields.push(['expires', String(hours)]);
      lifetime = Math.min(lifetime, hours * 3_600_000);
    }
    if (parseBoolean(ctx.options.secret as string | boolean | undefined, 'option secret')) fields.push(['secret', '']);
    const reply = await postMultipart(ctx, { url: `${ctx.baseUrl}/`, fields, field: 'file' });
    const url = checkedUrl(reply.text);
    if (!url) throw noUrlError(ctx.context, reply.status, reply.text);
    const token = header(reply.headers, 'x-token');
    return { url, expiresAt: new Date(started + lifetime), ...(token ? { deleteToken: token, deleteUrl: url } : {}) };
  },
  async delete(result, ctx) {
    if (!result.deleteToken) {
      throw new UfsError('INVALID_INPUT', `[ufs] [0x0] delete "${result.url}": no X-Token was kept for this upload`, {
        context: ctx.context,
      });
    }
    await httpCall({
      url: result.deleteUrl ?? result.url,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: result.deleteToken, delete: '' }).toString(),
      signal: ctx.signal,
      timeoutMs: ctx.timeoutMs,
      idleTimeoutMs: ctx.idleTimeoutMs,
      context: ctx.context,
    });
  },
});
