import { FakeService, drain, send } from './base.js';
import { parseForm } from './multipart.js';

/**
 * uguu.se: `POST /upload`, multipart `files[]`; JSON `{success: true, files: [{url, name, size}]}`. Answers 415
 * for `.zip` files, as the real one does for some types.
 */
export function uguuFake(): FakeService {
  const fake: FakeService = new FakeService('uguu', async (req, res, url) => {
    if (req.method === 'POST' && url.pathname === '/upload') {
      if (await fake.intercept(req, res)) return;
      const form = await parseForm(fake, req, 'files[]').catch(() => undefined);
      if (!form?.file) return send(res, 400, { success: false, errorcode: 400, description: 'No input file(s)' });
      if (form.file.name.endsWith('.zip'))
        return send(res, 415, { success: false, errorcode: 415, description: 'Filetype not allowed' });
      if (fake.takeEmpty()) return send(res, 200, { success: true, files: [] });
      return send(res, 200, {
        success: true,
        files: [
          {
            hash: form.file.id,
            name: form.file.name,
            url: `${fake.url}/${form.file.id}.bin`,
            size: form.file.size,
            dupe: false,
          },
        ],
      });
    }
    if (req.method === 'GET') return fake.serve(res, /^\/([0-9a-f]+)\.bin$/.exec(url.pathname)?.[1]);
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
