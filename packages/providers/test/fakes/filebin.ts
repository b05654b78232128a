import { FakeService, drain, send } from './base.js';
import { nameFrom, storeRaw } from './raw.js';

/**
 * filebin.net: `PUT /<bin>/<filename>` raw body (bin chosen by the client); answers 201 JSON `{bin, file}`.
 * `GET /<bin>/<filename>` redirects (302) to the stored object; `DELETE /<bin>` removes the bin.
 */
export function filebinFake(): FakeService {
  const bins = new Map<string, Map<string, string>>();
  const fake: FakeService = new FakeService('filebin', async (req, res, url) => {
    const match = /^\/([A-Za-z0-9_-]{8,60})(?:\/([^/]+))?$/.exec(url.pathname);
    if (req.method === 'PUT' && match?.[2]) {
      if (await fake.intercept(req, res)) return;
      const bin = match[1]!;
      const file = await storeRaw(fake, req, nameFrom(url.pathname));
      if (!file) return send(res, 400, 'content-length mismatch');
      if (!bins.has(bin)) bins.set(bin, new Map());
      bins.get(bin)!.set(file.name, file.id);
      if (fake.takeEmpty()) return send(res, 201, { bin: { id: bin } });
      return send(res, 201, {
        bin: { id: bin, readonly: false, bytes: file.size, files: bins.get(bin)!.size },
        file: { filename: file.name, 'content-type': file.contentType, bytes: file.size },
      });
    }
    if (req.method === 'GET' && match?.[2]) {
      const id = bins.get(match[1]!)?.get(nameFrom(url.pathname));
      if (!id) return send(res, 404, 'not found');
      res.writeHead(302, { location: `${fake.url}/storage/${id}` });
      return void res.end();
    }
    if (req.method === 'GET' && url.pathname.startsWith('/storage/'))
      return fake.serve(res, url.pathname.slice('/storage/'.length));
    if (req.method === 'DELETE' && match && !match[2]) {
      const bin = bins.get(match[1]!);
      if (!bin) return send(res, 404, 'no such bin');
      for (const id of bin.values()) fake.files.delete(id);
      bins.delete(match[1]!);
      return send(res, 200, { bin: match[1], deleted: true });
    }
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
