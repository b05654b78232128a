import { randomBytes } from 'node:crypto';
import { UfsError } from '@org/core';
import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { parseJson, pathName, putRaw } from '../kit/http-upload.js';
import { httpCall } from '../http/transport.js';

/** A bin name: option `bin`, else a fresh random one (bins are public to anyone who knows the name). */
function binName(option: unknown): string {
  if (typeof option === 'string' && /^[A-Za-z0-9_-]{8,60}$/.test(option)) return option;
  if (option !== undefined) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] [filebin] option bin ${JSON.stringify(option)} must be 8–60 letters, digits, - or _`,
    );
  }
  return `ufs-${randomBytes(10).toString('hex')}`;
}

/**
 * filebin.net: `PUT /<bin>/<filename>` with the raw body streamed; the client chooses the bin. Answers 201 with JSON
 * about the bin; the URL is `/<bin>/<filename>` (it redirects to the stored object). `DELETE /<bin>` removes it.
 */
export default defineProvider({
  info: {
    id: 'filebin',
    name: 'Filebin',
    homepage: 'https://filebin.net',
    retention: '6 days',
    auth: 'none',
    env: ['UFS_FILEBIN_URL'],
    capabilities: { expiry: false, singleDownload: false, delete: true, streaming: true },
  },
  baseUrl: { env: 'UFS_FILEBIN_URL', default: 'https://filebin.net' },
  async send(ctx) {
    const bin = binName(ctx.options.bin);
    const started = Date.now();
    const binUrl = `${ctx.baseUrl}/${bin}`;
    const reply = await putRaw(ctx, `${binUrl}/${pathName(ctx.source.filename)}`);
    // The answer must describe the stored file; anything else is not a successful upload.
    const answer = parseJson(reply.text) as { file?: { filename?: unknown } } | undefined;
    const url =
      answer?.file?.filename === ctx.source.filename
        ? checkedUrl(`${binUrl}/${pathName(ctx.source.filename)}`)
        : undefined;
    if (!url) throw noUrlError(ctx.context, reply.status, reply.text);
    return { url, deleteUrl: binUrl, deleteToken: bin, expiresAt: new Date(started + 6 * 86_400_000) };
  },
  async delete(result, ctx) {
    const url = result.deleteUrl ?? (result.deleteToken ? `${ctx.baseUrl}/${result.deleteToken}` : undefined);
    if (!url)
      throw new UfsError('INVALID_INPUT', `[ufs] [filebin] delete "${result.url}": no bin URL was kept`, {
        context: ctx.context,
      });
    const { signal, timeoutMs, idleTimeoutMs, context } = ctx;
    await httpCall({ url, method: 'DELETE', signal, timeoutMs, idleTimeoutMs, context });
  },
});
