import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FakeService, drain, send } from './base.js';
import { storeRaw } from './raw.js';

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * fal storage: `POST /storage/upload/initiate?storage_type=fal-cdn-v3` with `Authorization: Key <key>` and JSON
 * `{file_name, content_type}` → `{upload_url, file_url}`; `PUT <upload_url>` with the bytes (the Content-Type must
 * match what was initiated); `file_url` serves them. Faults apply to the initiate call.
 */
export function falFake(key: string): FakeService {
  const pending = new Map<string, { name: string; contentType: string; fileId: string }>();
  const served = new Map<string, string>();
  const fake: FakeService = new FakeService('fal', async (req, res, url) => {
    if (req.method === 'POST' && url.pathname === '/storage/upload/initiate') {
      if (req.headers.authorization !== `Key ${key}`) {
        await drain(req);
        return send(res, 401, { detail: 'Invalid API key' });
      }
      if (await fake.intercept(req, res)) return;
      if (url.searchParams.get('storage_type') !== 'fal-cdn-v3')
        return send(res, 400, { detail: 'unknown storage_type' });
      const body = (await readJson(req)) as { file_name?: unknown; content_type?: unknown } | undefined;
      if (typeof body?.file_name !== 'string' || typeof body.content_type !== 'string') {
        return send(res, 422, { detail: 'file_name and content_type are required' });
      }
      const token = randomBytes(8).toString('hex');
      const fileId = randomBytes(8).toString('hex');
      pending.set(token, { name: body.file_name, contentType: body.content_type, fileId });
      if (fake.takeEmpty()) return send(res, 200, { upload_url: `${fake.url}/upload/${token}` });
      return send(res, 200, {
        upload_url: `${fake.url}/upload/${token}?X-Signature=fake`,
        file_url: `${fake.url}/files/${fileId}/${encodeURIComponent(body.file_name)}`,
      });
    }
    const upload = /^\/upload\/([0-9a-f]+)$/.exec(url.pathname);
    if (req.method === 'PUT' && upload) {
      const slot = pending.get(upload[1]!);
      if (!slot) return drain(req).then(() => send(res, 403, 'unknown or used upload URL'));
      if (req.headers['content-type'] !== slot.contentType)
        return drain(req).then(() => send(res, 400, 'content-type differs from the initiated one'));
      const file = await storeRaw(fake, req, slot.name);
      if (!file) return send(res, 400, 'length mismatch');
      pending.delete(upload[1]!);
      served.set(slot.fileId, file.id);
      return send(res, 200, '');
    }
    const download = /^\/files\/([0-9a-f]+)\/[^/]+$/.exec(url.pathname);
    if (req.method === 'GET' && download) return fake.serve(res, served.get(download[1]!));
    await drain(req);
    send(res, 404, 'not found');
  });
  return fake;
}
