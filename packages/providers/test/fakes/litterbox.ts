import { FakeService, drain, send } from './base.js';
import { parseForm } from './multipart.js';

const TIMES = new Set(['1h', '12h', '24h', '72h']);

/**
 * litterbox: `POST /resources/internals/api.php`, multipart `reqtype=fileupload`, `time` (1h/12h/24h/72h) and
 * `fileToUpload`; answers the URL as text. 400 for a missing/invalid `time`, a wrong reqtype or field name.
 */
export function litterboxFake(): FakeService {
  const fake: FakeService = new FakeService('litterbox', async (req, res, url) => {
    if (req.method === 'POST' && url.pathname === '/resources/internals/api.php') {
      if (await fake.intercept(req, res)) return;
      const form = await parseForm(fake, req, 'fileToUpload').catch(() => undefined);
      if (!form) return send(res, 400, 'bad request: not a multipart form');
      if (form.fields.reqtype !== 'fileupload') return send(res, 400, 'bad request: reqtype must be fileupload');
      if (!TIMES.has(form.fields.time ?? ''))
        return send(res, 400, `bad request: invalid time ${JSON.stringify(form.fields.time)}`);
      if (!form.file) return send(res, 400, 'bad request: no fileToUpload');
      if (fake.takeEmpty()) return send(res, 200, '');
      return send(res, 200, `${fake.url}/${form.file.id}.bin`);
    }
    if (req.method === 'GET') return fake.serve(res, /^\/([0-9a-f]+)\.bin$/.exec(url.pathname)?.[1]);
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
