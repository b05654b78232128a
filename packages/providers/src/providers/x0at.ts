import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { postMultipart } from '../kit/http-upload.js';

/** x0.at: `POST /` (the trailing slash is required), multipart field `file`; the answer is the URL as text. */
export default defineProvider({
  info: {
    id: 'x0at',
    name: 'x0.at',
    homepage: 'https://x0.at',
    maxSize: 512 * 1024 * 1024,
    retention: '3 to 100 days depending on size',
    auth: 'none',
    env: ['UFS_X0AT_URL'],
    capabilities: { expiry: false, singleDownload: false, delete: false, streaming: true },
  },
  baseUrl: { env: 'UFS_X0AT_URL', default: 'https://x0.at' },
  async send(ctx) {
    const reply = await postMultipart(ctx, { url: `${ctx.baseUrl}/`, field: 'file' });
    const url = checkedUrl(reply.text);
    if (!url) throw noUrlError(ctx.context, reply.status, reply.text);
    return { url };
  },
});
