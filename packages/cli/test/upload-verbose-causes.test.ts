// A network failure of an upload names the host (and port) it could not reach, and --verbose shows each provider's
// failure with its code, context and cause chain (the socket error), as it does for any other error; --json is as
// it was (the providers' errors are not in the report's JSON).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let file: string;
let port: number;

beforeAll(async () => {
  box = await sandbox();
  file = join(box.dir, 'hello.txt');
  await writeFile(file, 'hello\n');
  // A port nothing listens on: one that was just closed.
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  server.close();
  await once(server, 'close');
});
afterAll(() => box.cleanup());

const upload = (provider: string, env: Record<string, string>, ...flags: string[]) =>
  ufs(['upload', '-p', provider, '--retries', '1', 'hello.txt', ...flags], {
    env: { ...box.env, ...env },
    cwd: box.dir,
  });

describe('an upload that cannot reach its service', () => {
  it('names the address and port that refused the connection', async () => {
    const r = await upload('0x0', { UFS_0X0_URL: `http://127.0.0.1:${port}` });
    expect(r.status).toBe(69);
    expect(r.stderr.trim()).toBe(
      `[ufs] upload "hello.txt": the provider failed: 0x0: [ufs] [0x0] upload "hello.txt": connection refused: 127.0.0.1:${port} (ECONNREFUSED)`,
    );
  });

  it('names the host that was not found, for the ufs server too', async () => {
    const r = await upload('ufs', { UFS_SERVER: 'http://no-such-host.invalid:8000', UFS_API_KEY: 'k' });
    expect(r.status).toBe(69);
    expect(r.stderr).toMatch(
      /: (host not found|DNS lookup timed out): no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN)\)\n$/,
    );
  });

  it('shows each provider failure with its cause chain under --verbose', async () => {
    const r = await upload('0x0', { UFS_0X0_URL: `http://127.0.0.1:${port}` }, '--verbose');
    expect(r.status).toBe(69);
    const lines = r.stderr.split('\n');
    const at = lines.indexOf('provider 0x0 failed:');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 4)).toEqual([
      `  [ufs] [0x0] upload "hello.txt": connection refused: 127.0.0.1:${port} (ECONNREFUSED)`,
      '  code: UNAVAILABLE (retryable)',
      expect.stringMatching(/^ {2}context: \{.*"provider":"0x0".*\}$/),
    ]);
    expect(lines.slice(at)).toContainEqual(`  caused by: Error: connect ECONNREFUSED 127.0.0.1:${port}`);
    // The failed upload's own lines come first, once: its message, code and context, then the stack's frames only.
    expect(lines.filter((line) => line.startsWith('  - 0x0: '))).toHaveLength(1);
    expect(lines.slice(0, at)).toContain('code: UNAVAILABLE (retryable)');
  });

  it('keeps --json as it was: the report has no error objects', async () => {
    const r = await upload('0x0', { UFS_0X0_URL: `http://127.0.0.1:${port}` }, '--json');
    expect(r.status).toBe(69);
    const [item] = r.json<Array<{ ok: boolean; error: { context: { failures: Array<Record<string, unknown>> } } }>>();
    expect(item!.ok).toBe(false);
    expect(Object.keys(item!.error.context.failures[0]!).sort()).toEqual(
      ['attempts', 'code', 'outcome', 'provider', 'reason', 'retryable'].sort(),
    );
  });
});
