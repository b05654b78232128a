import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { parseJson, postMultipart } from '../kit/http-upload.js';

/** tmpfile.link: `POST /api/upload`, multipart field `file`; JSON with `downloadLink`. */
export default defineProvider({
  info: {
    id: 'tmpfilelink',
    name: 'tmpfile.link',
    homepage: 'https://tmpfile.link',
    maxSize: 100_000_000,
    retention: '7 days',
    auth: 'none',
    env: ['UFS_TMPFILELINK_URL'],
    capabilities: { expiry: false, singleDownload: false, delete: false, streaming: true },
  },
  baseUrl: { env: 'UFS_TMPFILELINK_URL', default: 'https://tmpfile.link' },
  async send(ctx) {
    const started = Date.now();
    const reply = await postMultipart(ctx, { url: `${ctx.baseUrl}/api/upload`, field: 'file' });
    const answer = parseJson(reply.text) as { downloadLink?: unknown } | undefined;
    const url = checkedUrl(answer?.downloadLink);
    if (!url) throw noUrlError(ctx.context, reply.status, reply.text);
    return { url, expiresAt: new Date(started + 7 * 86_400_000) };
  },
});
