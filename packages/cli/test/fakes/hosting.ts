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
 * A minimal local stand-in for two hosting services, following the wire facts in shared/specs/hosting-providers.md:
 * catbox (`POST /user/api.php`, multipart `reqtype=fileupload` + `fileToUpload`, answer: the URL as text) and 0x0
 * (`POST /`, multipart `file`, optional `expires`; answer: the URL as text, a removal token in `X-Token`; `POST`
 * to the file URL with `token` + `delete` removes it). Each lives under its own prefix (`/catbox`, `/0x0`) so one
 * port serves both. Files are stored on disk and served back, so verification by download is real.
 */
export type Mode = 'ok' | 'error500' | 'error400' | 'corrupt' | 'nourl';

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
}

export async function startHostingFake(): Promise<HostingFake> {
  const dir = await mkdtemp(join(tmpdir(), 'ufs-cli-hosting-'));
  const files = new Map<string, Stored>();
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, service, ...rest] = url.pathname.split('/');
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
    env: { UFS_CATBOX_URL: `${base}/catbox`, UFS_0X0_URL: `${base}/0x0` },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
