import { FakeService, drain, send } from './base.js';
import { parseForm } from './multipart.js';

/**
 * tmpfiles.org: `POST /api/v1/upload`, multipart `file`; JSON `{status: "success", data: {url}}` where the URL is an
 * HTML page (`/<id>/<name>`); the bytes are at `/dl/<id>/<name>`.
 */
export function tmpfilesFake(): FakeService {
  const fake: FakeService = new FakeService('tmpfiles', async (req, res, url) => {
    if (req.method === 'POST' && url.pathname === '/api/v1/upload') {
      if (await fake.intercept(req, res)) return;
      const form = await parseForm(fake, req, 'file').catch(() => undefined);
      if (!form?.file) return send(res, 422, { status: 'error', message: 'The file field is required.' });
      if (fake.takeEmpty()) return send(res, 200, { status: 'success', data: {} });
      return send(res, 200, {
        status: 'success',
        data: { url: `${fake.url}/${form.file.id}/${encodeURIComponent(form.file.name)}` },
      });
    }
    if (req.method === 'GET') {
      const dl = /^\/dl\/([0-9a-f]+)\/[^/]+$/.exec(url.pathname);
      if (dl) return fake.serve(res, dl[1]);
      if (/^\/[0-9a-f]+\/[^/]+$/.test(url.pathname))
        return send(res, 200, '<html><body>download page</body></html>', { 'content-type': 'text/html' });
    }
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
