import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// Which record of a batch the server refused: a ufs server says it in the error body's `record` field (and in the
// message, `files[i]`); `ufs scan` reads the field, and the message from servers without it. Against a real
// `ufs serve`, through a proxy that rewrites the server's refusals of `POST /put_files` into what another server
// would answer: no `files[i]` in the message (only the field tells which), or no field (an older server).

interface ScanJson {
  stats: Record<string, number>;
  failures: Array<{ code: string; message: string; context: { path?: string } }>;
}

type Rewrite = (body: Record<string, unknown>) => Record<string, unknown>;

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let proxy: Server;
let proxyUrl: string;
let rewrite: Rewrite = (body) => body;
const refusals: Array<Record<string, unknown>> = [];

/** A pass-through proxy that rewrites (with `rewrite`) the JSON body of a 400 answer to `POST /put_files`. */
function rewritingProxy(target: string): Server {
  const to = new URL(target);
  return createServer((req, res) => {
    const upstream = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        if (!(req.method === 'POST' && req.url === '/put_files' && answer.statusCode === 400)) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        let text = '';
        answer.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        answer.on('end', () => {
          const original = JSON.parse(text) as Record<string, unknown>;
          refusals.push(original);
          const body = JSON.stringify(rewrite(original));
          res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
}

async function records(hostname: string): Promise<Array<{ filepath: string; has_file_content: boolean }>> {
  const res = await fetch(`${server.url}/files?hostname=${hostname}&limit=1000`, {
    headers: { 'x-api-key': server.apiKey! },
  });
  return ((await res.json()) as { items: never[] }).items;
}

/** Six good files and one whose name the server refuses (a `\..\` traversal segment), scanned as `hostname`. */
async function scanWithOneBad(hostname: string) {
  const dir = join(box.dir, hostname);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < 6; i++) await writeFile(join(dir, `f${i}.txt`), `${hostname} ${i}\n`);
  const bad = join(dir, 'dots\\..\\evil.txt');
  await writeFile(bad, 'evil\n');
  refusals.length = 0;
  const env = { ...box.env, UFS_SERVER: proxyUrl, UFS_API_KEY: server.apiKey! };
  const run = await ufs(['scan', '--hostname', hostname, '--json', dir], { env });
  return { dir, bad, run };
}

/** The scan failed that record alone, with the server's reason; the six others are catalogued with their content. */
async function expectOnlyTheBadOneFailed(hostname: string, outcome: Awaited<ReturnType<typeof scanWithOneBad>>) {
  const { dir, bad, run } = outcome;
  expect(run.status).toBe(65);
  const out = run.json<ScanJson>();
  expect(out.stats).toMatchObject({ files: 7, sent: 6, new: 6, uploaded: 6, failed: 1 });
  expect(out.failures).toHaveLength(1);
  expect(out.failures[0]!.code).toBe('INVALID_INPUT');
  expect(out.failures[0]!.context.path).toBe(bad);
  expect(out.failures[0]!.message).toContain(`"${bad}": the server refused the record`);
  expect(out.failures[0]!.message).toMatch(/must not contain "\." or "\.\." segments/);
  const recs = await records(hostname);
  expect(recs.map((r) => r.filepath).sort()).toEqual(
    Array.from({ length: 6 }, (_, i) => join(dir, `f${i}.txt`)).sort(),
  );
  expect(recs.every((r) => r.has_file_content)).toBe(true);
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  proxy = rewritingProxy(server.url);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await server?.stop();
  await box?.cleanup();
});

describe('ufs scan: the record a batch was refused for', () => {
  it('the server names it in the `record` field and in the message', async () => {
    rewrite = (body) => body;
    const outcome = await scanWithOneBad('as-is');
    expect(refusals).toEqual([
      expect.objectContaining({ record: expect.any(Number), detail: expect.stringMatching(/files\[\d+\]/) }),
    ]);
    await expectOnlyTheBadOneFailed('as-is', outcome);
  });

  it('is read from the `record` field: a message that does not name it still fails that record alone', async () => {
    rewrite = (body) => ({ ...body, detail: String(body.detail).replace(/ files\[\d+\]/, '') });
    const outcome = await scanWithOneBad('field-only');
    expect(refusals).toHaveLength(1);
    await expectOnlyTheBadOneFailed('field-only', outcome);
    expect(outcome.run.json<ScanJson>().failures[0]!.message).not.toContain('files[');
  });

  it('is read from the message when the body has no `record` field (a server before it)', async () => {
    rewrite = ({ record: _record, ...body }) => body;
    const outcome = await scanWithOneBad('message-only');
    expect(refusals).toHaveLength(1);
    await expectOnlyTheBadOneFailed('message-only', outcome);
  });
});
