import { FakeService, drain, send } from './base.js';
import { nameFrom, storeRaw } from './raw.js';

/**
 * pixeldrain: `PUT /api/file/<filename>` raw body with HTTP Basic auth (empty user, API key as password); answers
 * 201 `{"id"}`; the file is at `GET /api/file/<id>`. Without the right key: 401 (anonymous uploads refused).
 */
export function pixeldrainFake(apiKey: string): FakeService {
  const expected = `Basic ${Buffer.from(`:${apiKey}`).toString('base64')}`;
  const fake: FakeService = new FakeService('pixeldrain', async (req, res, url) => {
    if (req.method === 'PUT' && /^\/api\/file\/[^/]+$/.test(url.pathname)) {
      if (req.headers.authorization !== expected) {
        await drain(req);
        return send(res, 401, {
          success: false,
          value: 'authentication_required',
          message: 'anonymous uploads are not allowed',
        });
      }
      if (await fake.intercept(req, res)) return;
      const file = await storeRaw(fake, req, nameFrom(url.pathname));
      if (!file) return send(res, 422, { success: false, value: 'content_length_mismatch' });
      if (fake.takeEmpty()) return send(res, 201, { success: true });
      return send(res, 201, { id: file.id });
    }
    if (req.method === 'GET') return fake.serve(res, /^\/api\/file\/([0-9a-f]+)$/.exec(url.pathname)?.[1]);
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
