// An http mount whose URL holds `user:password@` (`http://alice:HttpSecret42@127.0.0.1:8080/files/`), as curl and
// rclone take it: the credentials, percent-decoded, are sent as HTTP Basic auth (dropped on a redirect to another
// origin), and never appear in a requested URL, a public URL or a message. Against a real node:http server that
// answers 401 without them.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { expectUfsError } from '@org/storage-testing';
import definition, { createHttpBackend } from '../src/backends/http/index.js';
import { timedFetch } from '../src/backends/http/fetch-stream.js';
import { StorageManager } from '../src/index.js';

const PASSWORD = 'HttpSecret42';
// A password with the characters a URL must escape: `@`, `:`, `/`, a space and a non-ASCII letter.
const ODD_PASSWORD = 'p@ss:w/rd ü';
const ODD_ESCAPED = encodeURIComponent(ODD_PASSWORD);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ACCEPTED = new Set([basic('alice', PASSWORD), basic('bob', ODD_PASSWORD)]);
const CONTENT = 'behind basic auth';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

// Another origin (another port): a redirect there must not carry the credentials.
const elsewhereSeen: Seen[] = [];
const elsewhere = createServer((req, res) => {
  elsewhereSeen.push({ url: req.url ?? '', headers: req.headers });
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(CONTENT)) });
  res.end(req.method === 'HEAD' ? undefined : CONTENT);
});
const elsewherePort = await listen(elsewhere);

const seen: Seen[] = [];
const server = createServer((req, res) => {
  seen.push({ url: req.url ?? '', headers: req.headers });
  if (!ACCEPTED.has(req.headers.authorization ?? '')) {
    return void res.writeHead(401, { 'www-authenticate': 'Basic realm="files"' }).end();
  }
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/files/same-origin.txt') return void res.writeHead(302, { location: '/files/a.txt' }).end();
  if (path === '/files/elsewhere.txt') {
    return void res.writeHead(302, { location: `http://127.0.0.1:${elsewherePort}/a.txt` }).end();
  }
  if (path === '/files/broken.txt') return void res.writeHead(500, 'Broken').end();
  if (path !== '/files/a.txt') return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(CONTENT)) });
  res.end(req.method === 'HEAD' ? undefined : CONTENT);
});
const port = await listen(server);
const plainBase = `http://127.0.0.1:${port}/files/`;
const mountUrl = `http://alice:${PASSWORD}@127.0.0.1:${port}/files/`;

afterAll(async () => {
  for (const s of [server, elsewhere]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** Everything an error shows (message, --json form, stack, causes): none of it may hold the password. */
function shown(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 6; depth++) {
    if (e instanceof Error) {
      parts.push(e.message, e.stack ?? '', JSON.stringify(e));
      e = e.cause;
    } else {
      parts.push(String(e));
      e = undefined;
    }
  }
  return parts.join('\n');
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain('alice:');
  expect(text).not.toContain(ODD_ESCAPED);
}

async function withStorage<T>(mounts: unknown[], run: (storage: StorageManager) => Promise<T>): Promise<T> {
  const storage = new StorageManager({ env: {} });
  try {
    await storage.configure(mounts as never);
    return await run(storage);
  } finally {
    await storage.dispose();
  }
}

describe('http mount with user:password in its URL', () => {
  it('sends them as Basic auth on every request, and leaves them out of every URL', async () => {
    const before = seen.length;
    await withStorage([{ name: 'h', url: mountUrl }], async (storage) => {
      const node = storage.node('h:a.txt');
      expect(await node.readText()).toBe(CONTENT);
      expect(await node.stat()).toMatchObject({ isFile: true, size: Buffer.byteLength(CONTENT) });
      expect(await node.exists()).toBe(true);
      // A read of the range and a read through a same-origin redirect carry them too.
      expect((await node.openReadStream({ start: 3, end: 5 }).then(collect)).toString()).toBe(CONTENT.slice(3, 6));
      expect(await storage.node('h:same-origin.txt').readText()).toBe(CONTENT);
      // The public URL: the file's address, without the credentials.
      expect(await node.url()).toBe(`${plainBase}a.txt`);
    });
    const requests = seen.slice(before);
    expect(requests.length).toBeGreaterThanOrEqual(5);
    for (const request of requests) expect(request.headers.authorization).toBe(basic('alice', PASSWORD));
  });

  it('percent-decodes them (curl, rclone): a password with @ : / space and ü', async () => {
    const url = `http://bob:${ODD_ESCAPED}@127.0.0.1:${port}/files/`;
    await withStorage([{ name: 'h', url }], async (storage) => {
      expect(await storage.node('h:a.txt').readText()).toBe(CONTENT);
    });
    expect(seen.at(-1)!.headers.authorization).toBe(basic('bob', ODD_PASSWORD));
  });

  it('also in the baseUrl option', async () => {
    await withStorage([{ name: 'h', protocol: 'http', baseUrl: mountUrl }], async (storage) => {
      expect(await storage.node('h:a.txt').readText()).toBe(CONTENT);
    });
  });

  it('drops them on a redirect to another origin', async () => {
    const before = elsewhereSeen.length;
    await withStorage([{ name: 'h', url: mountUrl }], async (storage) => {
      expect(await storage.node('h:elsewhere.txt').readText()).toBe(CONTENT);
    });
    // The read's stat (a HEAD, kept to resume a cut download) and its GET: neither carries them.
    expect(elsewhereSeen.length).toBe(before + 2);
    for (const request of elsewhereSeen.slice(before)) expect(request.headers.authorization).toBeUndefined();
  });

  it('never shows them in errors: not found, server errors, refused credentials', async () => {
    await withStorage(
      [
        { name: 'h', url: mountUrl },
        { name: 'wrong', url: `http://alice:not-${PASSWORD}@127.0.0.1:${port}/files/` },
      ],
      async (storage) => {
        const missing = await expectUfsError(storage.node('h:missing.txt').openReadStream(), 'NOT_FOUND');
        expect(missing.message).toBe(`[ufs] [http] read "h:missing.txt": HTTP 404 for ${plainBase}missing.txt`);
        const broken = await expectUfsError(storage.node('h:broken.txt').readText(), 'UNAVAILABLE');
        const refused = await expectUfsError(storage.node('wrong:a.txt').readText(), 'PERMISSION_DENIED');
        const refusedStat = await expectUfsError(storage.node('wrong:a.txt').stat(), 'PERMISSION_DENIED');
        for (const error of [missing, broken, refused, refusedStat]) expectNoSecret(shown(error));
      },
    );
  });

  it('refuses an Authorization header beside them (CONFIG_INVALID naming the conflict, not the secret)', async () => {
    for (const mount of [
      { name: 'h', url: mountUrl, headers: { Authorization: 'Bearer other-token' } },
      { name: 'h', protocol: 'http', baseUrl: mountUrl, headers: { authorization: 'Bearer other-token' } },
    ]) {
      const storage = new StorageManager({ env: {} });
      const error = await expectUfsError(storage.configure([mount]), 'CONFIG_INVALID');
      const header = Object.keys(mount.headers)[0]!;
      expect(error.message).toBe(
        `[ufs] mount "h": "headers.${header}": conflicts with the user name and password in the URL (baseUrl), which are sent as HTTP Basic auth: give the credentials one way only`,
      );
      expectNoSecret(shown(error));
      expect(shown(error)).not.toContain('other-token');
      expect(storage.hasMount('h')).toBe(false);
      await storage.dispose();
    }
    // Other headers are fine beside them.
    await withStorage([{ name: 'h', url: mountUrl, headers: { 'x-trace': '1' } }], async (storage) => {
      expect(await storage.node('h:a.txt').readText()).toBe(CONTENT);
    });
  });

  it('refuses user info that cannot be Basic auth, without showing it', async () => {
    const cases = [
      [`http://alice:Http%ZZSecret42@127.0.0.1:${port}/`, 'the password in the URL is not valid percent-encoded UTF-8'],
      [`http://al%E9ice:${PASSWORD}@127.0.0.1:${port}/`, 'the user name in the URL is not valid percent-encoded UTF-8'],
      [
        `http://al%3Aice:${PASSWORD}@127.0.0.1:${port}/`,
        'the user name in the URL holds a ":" (%3A), which HTTP Basic auth cannot carry',
      ],
    ] as const;
    for (const [url, why] of cases) {
      const storage = new StorageManager({ env: {} });
      const error = await expectUfsError(storage.configure([{ name: 'h', url }]), 'CONFIG_INVALID');
      expect(error.message).toBe(`[ufs] mount "h": "baseUrl": ${why}`);
      expect(shown(error)).not.toContain(PASSWORD);
      await storage.dispose();
    }
  });

  it('leaves them out of an invalid mount URL it names', async () => {
    const storage = new StorageManager({ env: {} });
    const error = await expectUfsError(
      storage.configure([{ name: 'h', url: `http://alice:${PASSWORD}@127.0.0.1:99999/files/` }]),
      'CONFIG_INVALID',
    );
    expect(error.message).toBe('[ufs] mount "h": "url": "http://127.0.0.1:99999/files/" is not a valid URL');
    expectNoSecret(shown(error));
    await storage.dispose();
  });

  it('does the same for a backend built directly', async () => {
    const options = { baseUrl: mountUrl, headers: {}, timeoutMs: 5_000, ignoredRange: 'skip' as const };
    const backend = createHttpBackend(options, 'direct');
    expect(await backend.stat('a.txt')).toMatchObject({ size: Buffer.byteLength(CONTENT) });
    expect(backend.publicUrl!('a.txt')).toBe(`${plainBase}a.txt`);
    expect(seen.at(-1)!.headers.authorization).toBe(basic('alice', PASSWORD));
    let thrown: unknown;
    try {
      createHttpBackend({ ...options, headers: { AUTHORIZATION: 'Bearer x' } }, 'direct');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UfsError);
    expect((thrown as UfsError).code).toBe('CONFIG_INVALID');
    expect((thrown as UfsError).message).toMatch(/^\[ufs\] mount "direct": "headers.AUTHORIZATION": conflicts/);
    expect(definition.options.safeParse({ baseUrl: mountUrl, headers: { Authorization: 'x' } }).success).toBe(false);
  });

  it("is CONFIG_INVALID, not fetch's message with the URL, should such a URL reach a request", async () => {
    const context = { backend: 'http', mount: 'h', operation: 'read', path: 'h:a.txt' };
    const error = await expectUfsError(
      timedFetch(`${mountUrl}a.txt`, { method: 'GET' }, { context, urlOption: 'baseUrl' }),
      'CONFIG_INVALID',
    );
    expect(error.message).toBe(
      `[ufs] [http] read "h:a.txt": the URL ${plainBase}a.txt (from baseUrl) holds a user name or password (user:password@), which fetch does not send: give them as an Authorization header`,
    );
    expectNoSecret(shown(error));
  });
});

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
