import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { postMultipart } from '../kit/http-upload.js';
import { optionOrEnv } from '../env.js';

/**
 * catbox.moe: permanent hosting. `POST /user/api.php`, multipart `reqtype=fileupload` + `fileToUpload`,
 * optional `userhash` (option `userhash` or `CATBOX_USERHASH`) to file the upload under an account.
 * The answer is the URL as plain text.
 */
export default defineProvider({
  info: {
    id: 'catbox',
    name: 'Catbox',
    homepage: 'https://catbox.moe',
    maxSize: 200_000_000,
    retention: 'permanent',
    auth: 'optional',
    env: ['UFS_CATBOX_URL', 'CATBOX_USERHASH'],
    capabilities: { expiry: false, singleDownload: false, delete: false, streaming: true },
  },
  baseUrl: { env: 'UFS_CATBOX_URL', default: 'https://catbox.moe' },
  async send(ctx) {
    const userhash = optionOrEnv(ctx.options.userhash, ctx.env, 'CATBOX_USERHASH');
    const fields: [string, string][] = [['reqtype', 'fileupload']];
    if (userhash) fields.push(['userhash', userhash]);
    const reply = await postMultipart(ctx, { url: `${ctx.baseUrl}/user/api.php`, fields, field: 'fileToUpload' });
    const url = checkedUrl(reply.text);
    if (!url) throw noUrlError(ctx.context, reply.status, reply.text);
    return { url };
  },
});
