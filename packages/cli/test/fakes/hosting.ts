import busboy from 'busboy';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * A minimal local stand-in for four hosting services, following the wire facts in shared/specs/hosting-providers.md:
 * catbox (`POST /user/api.php`, multipart `reqtype=fileupload` + `fileToUpload`, answer: the URL as text) and 0x0
 * (`POST /`, multipart `file`, optional `expires`; answer: the URL as text, a removal token in `X-Token`; `POST`
 * to the file URL with `token` + `delete` removes it); also pixeldrain (`PUT /api/file/<name>`, raw body, the API key
 * as the Basic password, anonymous uploads refused with 401; answer: 201 `{"id"}`, the file at `/api/file/<id>`) and
 * sendit (`PUT /<name>`, raw body; answer: text with a `wget <url>` line; the link serves one download). Each lives
 * under its own prefix (`/catbox`, `/0x0`, `/pixeldrain`, `/sendit`) so one port serves them all. Files are stored on
 * disk and served back, so verification by download is real.
 */
export const PIXELDRAIN_KEY = 'pd-cli-test-key';

/** `verify503once`: uploads succeed, the first download of each file answers 503 (Retry-After: 0). */
export type Mode = 'ok' | 'error500' | 'error400' | 'corrupt' | 'nourl' | 'verify503once';

export interface HostingFake {
  url: string;
  env: Record<string, string>;
  mode: Record<'catbox' | '0x0', Mode>;
  uploads: Array<{ service: string; name: string; size: number; fields: Record<string, string> }>;
  deleted: string[];
  close(): Promise<void>;
}

interface Stored {
  path: string;
  token: string;
  /** Downloads served (sendit serves one). */
  downloads?: number;
}

export async function startHostingFake(): Promise<HostingFake> {
  const dir = await mkdtemp(join(tmpdir(), 'ufs-cli-hosting-'));
  const files = new Map<string, Stored>();
  const failedOnce = new Set<string>();
  const fake: Omit<HostingFake, 'url' | 'env' | 'close'> = {
    mode: { catbox: 'ok', '0x0': 'ok' },
    uploads: [],
    deleted: [],
  };
  let base = '';

  async function receive(req: IncomingMessage, service: 'catbox' | '0x0', fileField: string) {
    const fields: Record<string, string> = {};
    let saved: { name: string; size: number; path: string } | undefined;
    const bb = busboy({ headers: req.headers });
    const done = new Promise<void>((resolve, reject) => {
      bb.on('field', (name, value) => (fields[name] = value));
      bb.on('file', (name, stream, info) => {
        if (name !== fileField) {
          stream.resume();
          return;
        }
        const path = join(dir, randomBytes(8).toString('hex'));
        let size = 0;
        stream.on('data', (chunk: Buffer) => (size += chunk.length));
        pipeline(stream, createWriteStream(path)).then(
          () => (saved = { name: info.filename ?? 'upload', size, path }),
          reject,
        );
      });
      bb.on('close', () => setImmediate(resolve));
      bb.on('error', reject);
    });
    req.pipe(bb);
    await done;
    // the file pipeline may settle right after busboy closes
    for (let i = 0; i < 50 && !saved; i++) await new Promise((r) => setTimeout(r, 5));
    return { fields, saved };
  }

  /** pixeldrain and sendit: a raw `PUT` of the bytes. */
  async function rawPut(req: IncomingMessage, res: ServerResponse, service: string, name: string): Promise<void> {
    if (service === 'pixeldrain') {
      const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!auth || Buffer.from(auth, 'base64').toString() !== `:${PIXELDRAIN_KEY}`) {
        for await (const chunk of req) void chunk; // read the body before answering, as a real server does
        return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"success":false}');
      }
    }
    const path = join(dir, randomBytes(8).toString('hex'));
    await pipeline(req, createWriteStream(path));
    const id = randomBytes(4).toString('hex');
    const size = (await stat(path)).size;
    fake.uploads.push({ service, name, size, fields: {} });
    if (service === 'pixeldrain') {
      files.set(`pixeldrain/api/file/${id}`, { path, token: '' });
      return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
    }
    files.set(`sendit/${id}/${name}`, { path, token: '', downloads: 0 });
    res
      .writeHead(200, { 'content-type': 'text/plain' })
      .end(`Ready (one download):\n\n  wget ${base}/sendit/${id}/${name}\n`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, service, ...rest] = url.pathname.split('/');
    if (
      req.method === 'PUT' &&
      service === 'pixeldrain' &&
      rest.length === 3 &&
      rest[0] === 'api' &&
      rest[1] === 'file'
    )
      return rawPut(req, res, service, rest[2]!);
    if (req.method === 'PUT' && service === 'sendit' && rest.length === 1) return rawPut(req, res, service, rest[0]!);
    if (req.method === 'GET' && (service === 'pixeldrain' || service === 'sendit')) {
      const stored = files.get(`${service}/${rest.join('/')}`);
      if (!stored || (stored.downloads !== undefined && stored.downloads++ >= 1))
        return void res.writeHead(404).end('not found');
      const { size } = await stat(stored.path);
      res.writeHead(200, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
      return void (await pipeline(createReadStream(stored.path), res));
    }
    if (service !== 'catbox' && service !== '0x0') return void res.writeHead(404).end('no such service');
    const restPath = rest.join('/');
    const isUpload = req.method === 'POST' && (service === 'catbox' ? restPath === 'user/api.php' : restPath === '');
    if (isUpload) {
      const mode = fake.mode[service];
      const { fields, saved } = await receive(req, service, service === 'catbox' ? 'fileToUpload' : 'file');
      if (mode === 'error500') return void res.writeHead(500).end('internal error');
      if (mode === 'error400') return void res.writeHead(400).end('bad request');
      if (service === 'catbox' && fields.reqtype !== 'fileupload')
        return void res.writeHead(400).end('reqtype missing');
      if (!saved) return void res.writeHead(400).end(`no ${service === 'catbox' ? 'fileToUpload' : 'file'} field`);
      const id = randomBytes(4).toString('hex') + extname(saved.name);
      if (mode === 'corrupt') await writeFile(saved.path, 'not the bytes you sent');
      const token = randomBytes(8).toString('hex');
      files.set(`${service}/f/${id}`, { path: saved.path, token });
      fake.uploads.push({ service, name: saved.name, size: saved.size, fields });
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (service === '0x0') headers['x-token'] = token;
      return void res.writeHead(200, headers).end(mode === 'nourl' ? 'ok\n' : `${base}/${service}/f/${id}\n`);
    }
    const stored = files.get(`${service}/${restPath}`);
    if (!stored) return void res.writeHead(404).end('not found');
    if (req.method === 'POST' && service === '0x0') {
      const { fields } = await receive(req, service, 'file');
      if (fields.token !== stored.token || fields.delete === undefined) return void res.writeHead(401).end('bad token');
      files.delete(`${service}/${restPath}`);
      fake.deleted.push(restPath);
      return void res.writeHead(200).end('deleted');
    }
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (fake.mode[service] === 'verify503once' && !failedOnce.has(restPath)) {
      failedOnce.add(restPath);
      return void res.writeHead(503, { 'retry-after': '0' }).end('warming up');
    }
    const { size } = await stat(stored.path);
    res.writeHead(200, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
    await pipeline(createReadStream(stored.path), res);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(err.message);
      else res.destroy(err);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...fake,
    url: base,
    env: {
      UFS_CATBOX_URL: `${base}/catbox`,
      UFS_0X0_URL: `${base}/0x0`,
      UFS_PIXELDRAIN_URL: `${base}/pixeldrain`,
      UFS_SENDIT_URL: `${base}/sendit`,
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
