import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { postMultipart } from '../kit/http-upload.js';
import { matchChoice, parseDuration } from '../kit/expiry.js';

const CHOICES = ['1h', '12h', '24h', '72h'] as const;
const DEFAULT_EXPIRE = '24h';

/**
 * litterbox.catbox.moe: temporary hosting. `POST /resources/internals/api.php`, multipart
 * `reqtype=fileupload`, `time` (1h/12h/24h/72h; `expire` may be any equal duration such as `1d`) and
 * `fileToUpload`. The answer is the URL as plain text.
 */
export default defineProvider({
  info: {
    id: 'litterbox',
    name: 'Litterbox',
    homepage: 'https://litterbox.catbox.moe',
    maxSize: 1_000_000_000,
    retention: `1h, 12h, 24h or 72h (default ${DEFAULT_EXPIRE})`,
    expiryChoices: CHOICES,
    auth: 'none',
    env: ['UFS_LITTERBOX_URL'],
    capabilities: { expiry: true, singleDownload: false, delete: false, streaming: true },
  },
  baseUrl: { env: 'UFS_LITTERBOX_URL', default: 'https://litterbox.catbox.moe' },
  async send(ctx) {
    const time = matchChoice('litterbox', ctx.options.expire ?? DEFAULT_EXPIRE, CHOICES);
    const started = Date.now();
    const reply = await postMultipart(ctx, {
      url: `${ctx.baseUrl}/resources/internals/api.php`,
      fields: [
        ['reqtype', 'fileupload'],
        ['time', time],
      ],
      field: 'fileToUpload',
    });
    const url = checkedUrl(reply.text);
    if (!url) throw noUrlError(ctx.context, reply.status, reply.text);
    return { url, expiresAt: new Date(started + parseDuration(time)) };
  },
});
