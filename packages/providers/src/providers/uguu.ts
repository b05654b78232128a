import { UfsError, describeContext } from '@org/core';
import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { parseJson, postMultipart } from '../kit/http-upload.js';

interface UguuAnswer {
  success?: boolean;
  files?: Array<{ url?: unknown }>;
  description?: unknown;
}

/** uguu.se: `POST /upload`, multipart field `files[]`; JSON `{success, files: [{url, name, size}]}`. */
export default defineProvider({
  info: {
    id: 'uguu',
    name: 'Uguu',
    homepage: 'https://uguu.se',
    maxSize: 128 * 1024 * 1024,
    retention: 'about 3 to 24 hours',
    auth: 'none',
    env: ['UFS_UGUU_URL'],
    capabilities: { expiry: false, singleDownload: false, delete: false, streaming: true },
  },
  baseUrl: { env: 'UFS_UGUU_URL', default: 'https://uguu.se' },
  async send(ctx) {
    const reply = await postMultipart(ctx, { url: `${ctx.baseUrl}/upload`, field: 'files[]' });
    const answer = parseJson(reply.text) as UguuAnswer | undefined;
    if (answer?.success === false) {
      throw new UfsError(
        'INVALID_INPUT',
        `${describeContext(ctx.context)} refused: ${String(answer.description ?? reply.text)}`,
        {
          context: ctx.context,
          retryable: false,
        },
      );
    }
    const url = checkedUrl(answer?.files?.[0]?.url);
    if (!url) throw noUrlError(ctx.context, reply.status, reply.text);
    return { url };
  },
});
