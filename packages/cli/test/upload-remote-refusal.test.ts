// A hosting service refusing an upload (a 4xx, a 404 from the upload or the check of its URL) exits 76 (EX_PROTOCOL,
// "remote error in protocol"): not 64 (usage: the user's flags are fine) nor 66 (the user's file is there). A missing
// file of the user's own stays 66; a service that is down stays 69.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Server;
let env: Record<string, string>;
let file: string;
/** The status of the upload answer, and of the download of the URL it gives. */
let answer = { upload: 200, download: 200 };

beforeAll(async () => {
  box = await sandbox();
  file = join(box.dir, 'a.txt');
  await writeFile(file, 'hello\n');
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (req.method === 'POST') {
        if (answer.upload !== 200) return void res.writeHead(answer.upload).end('refused');
        return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`${base}/f/a.txt\n`);
      }
      if (answer.download !== 200) return void res.writeHead(answer.download).end('no such file');
      res.writeHead(200, { 'content-length': '6' }).end('hello\n');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  env = {
    ...box.env,
    UFS_0X0_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
});
afterAll(async () => {
  server.close();
  await box.cleanup();
});

describe('a hosting service refusing an upload exits 76', () => {
  it.each([
    [{ upload: 400, download: 200 }, 'INVALID_INPUT', 'HTTP 400'],
    [{ upload: 404, download: 200 }, 'NOT_FOUND', 'HTTP 404'],
    [{ upload: 200, download: 404 }, 'NOT_FOUND', 'HTTP 404'],
  ])('%j', async (statuses, code, text) => {
    answer = statuses;
    const run = await ufs(['upload', '-p', '0x0', '--retries', '1', file], {
      env,
    });
    expect(run.stderr).toContain(text);
    expect(run.status).toBe(76);
    const json = await ufs(['upload', '--json', '-p', '0x0', '--retries', '1', file], { env });
    expect(json.status).toBe(76);
    expect(json.stdout + json.stderr).toContain(code);
  });

  it('the same refusal for two files is 76 too', async () => {
    answer = { upload: 400, download: 200 };
    const run = await ufs(['upload', '-p', '0x0', '--retries', '1', file, file], { env });
    expect(run.status).toBe(76);
  });

  it('the user own missing file stays 66, a bad flag 64, a service error 69', async () => {
    answer = { upload: 200, download: 200 };
    expect(
      (
        await ufs(['upload', '-p', '0x0', join(box.dir, 'missing.txt')], {
          env,
        })
      ).status,
    ).toBe(66);
    expect((await ufs(['upload', '-p', '0x0', '--retries', 'x', file], { env })).status).toBe(64);
    answer = { upload: 503, download: 200 };
    expect((await ufs(['upload', '-p', '0x0', '--retries', '1', file], { env })).status).toBe(69);
  });
});
