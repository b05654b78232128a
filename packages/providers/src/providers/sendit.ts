import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { pathName, putRaw } from '../kit/http-upload.js';

/**
 * sendit.sh: `PUT /<filename>` with the raw body; the text answer holds a line `wget https://sendit.sh/<id>/<name>`.
 * The link serves one download, so the orchestrator does not verify it by downloading.
 */
export default defineProvider({
  info: {
    id: 'sendit',
    name: 'sendit.sh',
    homepage: 'https://sendit.sh',
    maxSize: 3_000_000_000,
    retention: '1 day, one download',
    auth: 'none',
    env: ['UFS_SENDIT_URL'],
    capabilities: { expiry: false, singleDownload: true, delete: false, streaming: true },
  },
  baseUrl: { env: 'UFS_SENDIT_URL', default: 'https://sendit.sh' },
  async send(ctx) {
    const started = Date.now();
    const reply = await putRaw(ctx, `${ctx.baseUrl}/${pathName(ctx.source.filename)}`);
    const url = checkedUrl(/\bwget\s+(?:-\S+\s+)*(https?:\/\/\S+)/.exec(reply.text)?.[1]);
    if (!url) throw noUrlError(ctx.context, reply.status, reply.text);
    return { url, expiresAt: new Date(started + 86_400_000) };
  },
});
