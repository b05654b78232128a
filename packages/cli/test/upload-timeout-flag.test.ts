import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

// `ufs upload --timeout` abandons a request that has no complete answer in time: the error says which flag set that
// limit (`… (wait longer with --timeout SECONDS)`), as the idle timeout's says `(idle timeout)`. Against a node:http
// server speaking for 0x0 that takes the upload and never answers.

let box: Awaited<ReturnType<typeof sandbox>>;
let silent: Server;
let url: string;
const held: IncomingMessage[] = [];

beforeAll(async () => {
  box = await sandbox();
  silent = createServer((req) => {
    held.push(req);
    req.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(async () => {
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
  await box.cleanup();
});

describe('ufs upload --timeout', () => {
  it('a request with no complete answer in time fails with TIMEOUT naming --timeout, in text and in --json', async () => {
    const file = join(box.dir, 'slow.txt');
    await writeFile(file, 'no answer for this\n');
    const args = ['upload', '-p', '0x0', '--timeout', '1', '--retries', '1', '--no-verify', file];
    const env = { ...box.env, UFS_0X0_URL: url };
    const run = await ufs(args, { env, timeoutMs: 60_000 });
    expect(run.status).toBe(75);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/"slow\.txt".*: no complete answer within 1 s \(wait longer with --timeout SECONDS\)$/),
    ]);
    const json = await ufs([...args, '--json'], { env, timeoutMs: 60_000 });
    expect(json.status).toBe(75);
    const [item] = json.json<Array<{ ok: boolean; error: { code: string; message: string } }>>();
    expect(item).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(item!.error.message).toContain('no complete answer within 1 s (wait longer with --timeout SECONDS)');
  });
});
