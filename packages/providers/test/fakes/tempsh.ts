import { FakeService, drain, send } from './base.js';
import { nameFrom, storeRaw } from './raw.js';

/** temp.sh: `PUT /<filename>` raw body; answers the URL as text. */
export function tempshFake(): FakeService {
  const fake: FakeService = new FakeService('tempsh', async (req, res, url) => {
    if (req.method === 'PUT' && /^\/[^/]+$/.test(url.pathname)) {
      if (await fake.intercept(req, res)) return;
      const file = await storeRaw(fake, req, nameFrom(url.pathname));
      if (!file) return send(res, 411, 'length required');
      if (fake.takeEmpty()) return send(res, 200, '');
      const link = `${fake.url}/${file.id}/${encodeURIComponent(file.name)}`;
      return fake.answerUpload(res, file, link, () => send(res, 200, link));
    }
    if (req.method === 'GET') return fake.serve(res, /^\/([0-9a-f]+)\/[^/]+$/.exec(url.pathname)?.[1]);
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
