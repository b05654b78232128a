import { FakeService, drain, send } from './base.js';
import { parseForm } from './multipart.js';

const REFUSED_AGENTS = /^(python-requests|curl\/7\.2|Go-http-client)/i;

/**
 * 0x0.st: `POST /`, multipart file field `file`, optional `expires` (hours) and `secret`; answers the URL as text
 * and `X-Token`. Refuses some user agents (403). A POST to a file URL with `token` + `delete` removes it.
 */
export function zeroXZeroFake(): FakeService {
  const tokens = new Map<string, string>();
  const fake: FakeService = new FakeService('0x0', async (req, res, url) => {
    if (req.method === 'POST' && url.pathname === '/') {
      if (REFUSED_AGENTS.test(req.headers['user-agent'] ?? '') || !req.headers['user-agent']) {
        await drain(req);
        return send(res, 403, 'user agent refused');
      }
      if (await fake.intercept(req, res)) return;
      const form = await parseForm(fake, req, 'file').catch(() => undefined);
      if (!form) return send(res, 400, 'bad request');
      if (!form.file) return send(res, 400, '400 Bad Request: no file field');
      if (form.fields.expires !== undefined && !/^\d+$/.test(form.fields.expires)) return send(res, 400, 'bad expires');
      if (fake.takeEmpty()) return send(res, 200, '\n');
      const token = `tok${form.file.id}`;
      tokens.set(form.file.id, token);
      const secret = form.fields.secret !== undefined ? 's3cr3t' : '';
      return send(res, 200, `${fake.url}/${secret}${form.file.id}.bin\n`, { 'x-token': token });
    }
    const id = /^\/(?:s3cr3t)?([0-9a-f]+)\.bin$/.exec(url.pathname)?.[1];
    if (req.method === 'POST' && id) {
      const form = await parseForm(fake, req, '__none__').catch(() => undefined);
      if (!form || form.fields.delete === undefined || form.fields.token !== tokens.get(id))
        return send(res, 401, 'bad token');
      return fake.answerDelete(res, fake.files.get(id), () => {
        fake.files.delete(id);
        send(res, 200, '');
      });
    }
    if (req.method === 'GET') return fake.serve(res, id);
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
