import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { parseJson, pathName, putRaw } from '../kit/http-upload.js';
import { optionOrEnv } from '../env.js';

/**
 * pixeldrain.com: `PUT /api/file/<filename>` with the raw body and the API key as the HTTP Basic password (empty
 * user); answers 201 `{"id"}`, the file is served at `/api/file/<id>`. Anonymous uploads are refused (401), so an
 * API key (option `apiKey` or `PIXELDRAIN_API_KEY`) is required.
 */
export default defineProvider({
  info: {
    id: 'pixeldrain',
    name: 'Pixeldrain',
    homepage: 'https://pixeldrain.com',
    maxSize: 20_000_000_000,
    retention: 'about 90 days after the last download',
    auth: 'required',
    env: ['UFS_PIXELDRAIN_URL', 'PIXELDRAIN_API_KEY'],
    capabilities: { expiry: false, singleDownload: false, delete: false, streaming: true },
  },
  baseUrl: { env: 'UFS_PIXELDRAIN_URL', default: 'https://pixeldrain.com' },
  status(env, options) {
    if (optionOrEnv(options.apiKey, env, 'PIXELDRAIN_API_KEY')) return { ready: true };
    return {
      ready: false,
      reason: 'PIXELDRAIN_API_KEY is not set (pixeldrain refuses anonymous uploads)',
      help: 'create an API key at https://pixeldrain.com/user/api_keys and export PIXELDRAIN_API_KEY=<key>',
    };
  },
  async send(ctx) {
    const apiKey = optionOrEnv(ctx.options.apiKey, ctx.env, 'PIXELDRAIN_API_KEY') ?? '';
    const reply = await putRaw(ctx, `${ctx.baseUrl}/api/file/${pathName(ctx.source.filename)}`, {
      authorization: `Basic ${Buffer.from(`:${apiKey}`).toString('base64')}`,
    });
    const id = (parseJson(reply.text) as { id?: unknown } | undefined)?.id;
    const url =
      typeof id === 'string' && id ? checkedUrl(`${ctx.baseUrl}/api/file/${encodeURIComponent(id)}`) : undefined;
    if (!url) throw noUrlError(ctx.context, reply.status, reply.text);
    return { url };
  },
});
