import { FakeService, drain, send } from './base.js';
import { nameFrom, storeRaw } from './raw.js';

/**
 * sendit.sh: `PUT /<filename>` raw body; answers text with a `wget <url>` line. The link serves ONE download,
 * then 404.
 */
export function senditFake(): FakeService {
  const fake: FakeService = new FakeService('sendit', async (req, res, url) => {
    if (req.method === 'PUT' && /^\/[^/]+$/.test(url.pathname)) {
      if (await fake.intercept(req, res)) return;
      const file = await storeRaw(fake, req, nameFrom(url.pathname));
      if (!file) return send(res, 411, 'length required');
      if (fake.takeEmpty()) return send(res, 200, 'upload complete\n');
      const link = `${fake.url}/${file.id}/${encodeURIComponent(file.name)}`;
      return send(res, 200, `Your file is ready (one download, 1 day):\n\n    wget ${link}\n\n`);
    }
    const id = /^\/([0-9a-f]+)\/[^/]+$/.exec(url.pathname)?.[1];
    if (req.method === 'GET' && id) {
      const file = fake.files.get(id);
      if (file && file.downloads >= 1) return send(res, 404, 'already downloaded');
      return fake.serve(res, id);
    }
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
