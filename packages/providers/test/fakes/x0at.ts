import { FakeService, drain, send } from './base.js';
import { parseForm } from './multipart.js';

/** x0.at: `POST /` (the trailing slash matters: `POST` without a path is 404 here), multipart `file`; URL as text. */
export function x0atFake(): FakeService {
  const fake: FakeService = new FakeService('x0at', async (req, res, url) => {
    if (req.method === 'POST' && url.pathname === '/') {
      if (await fake.intercept(req, res)) return;
      const form = await parseForm(fake, req, 'file').catch(() => undefined);
      if (!form?.file) return send(res, 400, 'no file field "file"');
      if (fake.takeEmpty()) return send(res, 200, 'ok');
      return send(res, 200, `${fake.url}/${form.file.id}.bin\n`);
    }
    if (req.method === 'GET') return fake.serve(res, /^\/([0-9a-f]+)\.bin$/.exec(url.pathname)?.[1]);
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
