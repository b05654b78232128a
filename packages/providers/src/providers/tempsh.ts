import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { pathName, putRaw } from '../kit/http-upload.js';

/** temp.sh: `PUT /<filename>` with the raw body; the answer is the URL as text. */
export default defineProvider({
  info: {
    id: 'tempsh',
    name: 'temp.sh',
    homepage: 'https://temp.sh',
    maxSize: 4_000_000_000,
    retention: '3 days',
    auth: 'none',
    env: ['UFS_TEMPSH_URL'],
    capabilities: { expiry: false, singleDownload: false, delete: false, streaming: true },
  },
  baseUrl: { env: 'UFS_TEMPSH_URL', default: 'https://temp.sh' },
  async send(ctx) {
    const started = Date.now();
    const reply = await putRaw(ctx, `${ctx.baseUrl}/${pathName(ctx.source.filename)}`);
    const url = checkedUrl(reply.text);
    if (!url) throw noUrlError(ctx.context, reply.status, reply.text);
    return { url, expiresAt: new Date(started + 3 * 86_400_000) };
  },
});
