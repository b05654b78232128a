import { FakeService, drain, send } from './base.js';
import { parseForm } from './multipart.js';

/** tmpfile.link: `POST /api/upload`, multipart `file`; JSON with `downloadLink`. */
export function tmpfilelinkFake(): FakeService {
  const fake: FakeService = new FakeService('tmpfilelink', async (req, res, url) => {
    if (req.method === 'POST' && url.pathname === '/api/upload') {
      if (await fake.intercept(req, res)) return;
      const form = await parseForm(fake, req, 'file').catch(() => undefined);
      if (!form?.file) return send(res, 400, { error: 'no file' });
      if (fake.takeEmpty()) return send(res, 200, { fileName: form.file.name });
      const link = `${fake.url}/public/${form.file.id}/${encodeURIComponent(form.file.name)}`;
      return send(res, 200, {
        fileName: form.file.name,
        downloadLink: link,
        downloadLinkEncoded: link,
        size: form.file.size,
        type: form.file.contentType,
        uploadedTo: 'public',
      });
    }
    if (req.method === 'GET') return fake.serve(res, /^\/public\/([0-9a-f]+)\/[^/]+$/.exec(url.pathname)?.[1]);
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
