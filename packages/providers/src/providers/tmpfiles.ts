import { defineProvider, checkedUrl, noUrlError } from '../kit/define.js';
import { parseJson, postMultipart } from '../kit/http-upload.js';

interface TmpfilesAnswer {
  status?: unknown;
  data?: { url?: unknown };
}

/** The direct download link of a tmpfiles page URL: `/dl/` inserted after the host. */
export function directLink(pageUrl: string): string {
  const url = new URL(pageUrl);
  if (!url.pathname.startsWith('/dl/')) url.pathname = `/dl${url.pathname}`;
  return url.href;
}

/**
 * tmpfiles.org: `POST /api/v1/upload`, multipart field `file`; JSON `{status: "success", data: {url}}` where the
 * URL is a page — the result is its direct link (`/dl/` after the host).
 */
export default defineProvider({
  info: {
    id: 'tmpfiles',
    name: 'tmpfiles.org',
    homepage: 'https://tmpfiles.org',
    maxSize: 100_000_000,
    retention: '60 minutes',
    auth: 'none',
    env: ['UFS_TMPFILES_URL'],
    capabilities: { expiry: false, singleDownload: false, delete: false, streaming: true },
  },
  baseUrl: { env: 'UFS_TMPFILES_URL', default: 'https://tmpfiles.org' },
  async send(ctx) {
    const started = Date.now();
    const reply = await postMultipart(ctx, { url: `${ctx.baseUrl}/api/v1/upload`, field: 'file' });
    const answer = parseJson(reply.text) as TmpfilesAnswer | undefined;
    const page = answer?.status === 'success' ? checkedUrl(answer.data?.url) : undefined;
    if (!page) throw noUrlError(ctx.context, reply.status, reply.text);
    return { url: directLink(page), expiresAt: new Date(started + 60 * 60_000) };
  },
});
