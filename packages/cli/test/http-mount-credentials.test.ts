// `ufs` on an http mount whose URL holds `user:password@`: the credentials are sent as HTTP Basic auth, and no
// output (text, --json, -V) ever shows the password. Against a real node:http server that answers 401 without them.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { sandbox, ufs, type Run } from './helpers/ufs.js';

const PASSWORD = 'HttpSecret42';
const ACCEPTED = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
const server = createServer((req, res) => {
  if (req.headers.authorization !== ACCEPTED) return void res.writeHead(401).end();
  if (req.url !== '/files/a.txt') return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '6' });
  res.end(req.method === 'HEAD' ? undefined : 'hello\n');
});

let box: Awaited<ReturnType<typeof sandbox>>;
let base: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}/files/`;
  box = await sandbox();
  await mkdir(join(box.env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  const mounts = {
    h: `http://alice:${PASSWORD}@${base}`,
    wrong: `http://alice:not-${PASSWORD}@${base}`,
    both: { url: `http://alice:${PASSWORD}@${base}`, headers: { authorization: 'Bearer other' } },
  };
  await writeFile(join(box.env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify({ mounts }));
});
afterAll(async () => {
  await box.cleanup();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const run = (...args: string[]) => ufs(args, { env: box.env });
const noSecret = (result: Run) => expect(`${result.stdout}\n${result.stderr}`).not.toContain(PASSWORD);

describe('an http mount with user:password in its URL', () => {
  it('reads with Basic auth; url and stat show no password', async () => {
    const cat = await run('cat', 'h:a.txt');
    expect([cat.status, cat.stdout, cat.stderr]).toEqual([0, 'hello\n', '']);
    const url = await run('url', '--json', 'h:a.txt');
    expect(url.json()).toMatchObject({ url: `http://${base}a.txt` });
    const stat = await run('stat', '--json', 'h:a.txt');
    expect(stat.json()).toEqual([expect.objectContaining({ path: 'h:a.txt', size: 6 })]);
    for (const result of [cat, url, stat]) noSecret(result);
  });

  it('names failures without the password: not found (66), refused credentials (77), -V and --json', async () => {
    const missing = await run('cat', '--json', 'h:missing.txt');
    expect(missing.status).toBe(66);
    expect(missing.stderr.trim()).toBe(`[ufs] [http] read "h:missing.txt": HTTP 404 for http://${base}missing.txt`);
    const refused = await run('cat', '-V', 'wrong:a.txt');
    expect(refused.status).toBe(77);
    expect(refused.stderr).toMatch(/^\[ufs\] \[http\] read "wrong:a.txt": HTTP 401/);
    for (const result of [missing, refused]) noSecret(result);
  });

  it('refuses an Authorization header beside them with 78, naming the conflict', async () => {
    const both = await run('cat', '--json', '-V', 'both:a.txt');
    expect(both.status).toBe(78);
    expect(both.stderr).toContain(
      '[ufs] mount "both": "headers.authorization": conflicts with the user name and password in the URL (baseUrl)',
    );
    noSecret(both);
    expect(both.stderr).not.toContain('Bearer other');
  });
});
