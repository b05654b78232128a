import { FakeService, drain, send } from './base.js';
import { parseForm } from './multipart.js';

/**
 * catbox.moe: `POST /user/api.php`, multipart `reqtype=fileupload` + file field `fileToUpload` (optional
 * `userhash`); answers the URL as text (with a trailing newline, as the real one may). 400 for a wrong reqtype or
 * field name. Files are served at `/<id>.<ext>` like files.catbox.moe.
 */
export function catboxFake(): FakeService {
  const fake: FakeService = new FakeService('catbox', async (req, res, url) => {
    if (req.method === 'POST' && url.pathname === '/user/api.php') {
      if (await fake.intercept(req, res)) return;
      const form = await parseForm(fake, req, 'fileToUpload').catch(() => undefined);
      if (!form) return send(res, 400, 'bad request: not a multipart form');
      if (form.fields.reqtype !== 'fileupload') return send(res, 400, 'bad request: reqtype must be fileupload');
      if (!form.file)
        return send(res, 400, `bad request: no fileToUpload (got ${form.fileFields.join(', ') || 'no file'})`);
      if (fake.takeEmpty()) return send(res, 200, '');
      const ext = form.file.name.includes('.') ? form.file.name.slice(form.file.name.lastIndexOf('.')) : '';
      return send(res, 200, `${fake.url}/${form.file.id}${ext}\n`);
    }
    if (req.method === 'GET') return fake.serve(res, /^\/([0-9a-f]+)(?:\.[^/]*)?$/.exec(url.pathname)?.[1]);
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
