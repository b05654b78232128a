import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { parseJson, putRaw } from '../kit/http-upload.js';
import { httpCall } from '../http/transport.js';
import { optionOrEnv } from '../env.js';

interface InitiateAnswer {
  upload_url?: unknown;
  file_url?: unknown;
}

/**
 * fal.ai storage, as `@fal-ai/client`'s `storage.upload` does it: `POST /storage/upload/initiate?storage_type=
 * fal-cdn-v3` on fal's REST host with `Authorization: Key <FAL_KEY>` and JSON `{file_name, content_type}`, which
 * answers `{upload_url, file_url}`; then the bytes are PUT to `upload_url` with the same Content-Type, and
 * `file_url` (on fal's CDN) is the result.
 */
export default defineProvider({
  info: {
    id: 'fal',
    name: 'fal.ai storage',
    homepage: 'https://fal.ai',
    retention: "set by fal's CDN policy",
    auth: 'required',
    env: ['UFS_FAL_URL', 'FAL_KEY'],
    capabilities: { expiry: false, singleDownload: false, delete: false, streaming: true },
  },
  baseUrl: { env: 'UFS_FAL_URL', default: 'https://rest.fal.ai' },
  status(env, options) {
    if (optionOrEnv(options.apiKey, env, 'FAL_KEY')) return { ready: true };
    return {
      ready: false,
      reason: 'FAL_KEY is not set',
      help: 'create a key at https://fal.ai/dashboard/keys and export FAL_KEY=<key-id:key-secret>',
    };
  },
  async send(ctx) {
    const key = optionOrEnv(ctx.options.apiKey, ctx.env, 'FAL_KEY') ?? '';
    const contentType = ctx.source.contentType ?? 'application/octet-stream';
    const initiate = await httpCall({
      url: `${ctx.baseUrl}/storage/upload/initiate?storage_type=fal-cdn-v3`,
      method: 'POST',
      headers: { authorization: `Key ${key}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ file_name: ctx.source.filename, content_type: contentType }),
      signal: ctx.signal,
      timeoutMs: ctx.timeoutMs,
      idleTimeoutMs: ctx.idleTimeoutMs,
      context: { ...ctx.context, operation: 'upload (initiate)' },
    });
    const answer = parseJson(initiate.text) as InitiateAnswer | undefined;
    const uploadUrl = checkedUrl(answer?.upload_url);
    const fileUrl = checkedUrl(answer?.file_url);
    if (!uploadUrl || !fileUrl) throw noUrlError(ctx.context, initiate.status, initiate.text);
    await putRaw(ctx, uploadUrl, { 'content-type': contentType });
    return { url: fileUrl };
  },
});
