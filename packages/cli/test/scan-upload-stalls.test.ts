import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { serveBehindFront, type Front } from './helpers/front.js';
import { ufs } from './helpers/ufs.js';

// `ufs scan` when uploads stall or the server dies under them: each failed file gets its own line on stderr (and in
// --json its own failure, naming the file in context.path and the server in the message and context.url); a stalled
// upload is TIMEOUT and retryable (scan again later); a server killed during a resumable upload is "connection lost to
// <server> while resuming the upload of <file>" (UNAVAILABLE, retryable), not tus-js-client's raw message. Real
// `ufs serve` processes behind node:http fronts that stop taking and answering uploads, or pass everything on.

interface Failure {
  code: string;
  message: string;
  retryable: boolean;
  context: Record<string, unknown>;
}
interface ScanJson {
  stats: Record<string, number>;
  failures: Failure[];
  error?: Failure & { exitCode: number };
}

let front: Front;
/** Requests the front holds (uploads it takes a little of, then neither reads nor answers). */
const held: IncomingMessage[] = [];

/** An upload request: the front takes its first bytes, then stops taking any, and never answers. */
function stall(req: IncomingMessage): void {
  held.push(req);
  req.once('data', () => req.pause());
}

beforeAll(async () => {
  front = await serveBehindFront((req, res) => {
    const url = req.url ?? '/';
    if ((req.method === 'POST' && url.startsWith('/upload_file/')) || req.method === 'PATCH') return stall(req);
    front.forward(req, res);
  });
}, 60_000);
afterAll(async () => {
  for (const req of held) req.destroy();
  await front?.close();
});

async function tree(name: string, files: Record<string, Buffer>): Promise<string> {
  const root = join(front.box.dir, name);
  await mkdir(root, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(join(root, file), content);
  return root;
}

const scan = (hostname: string, root: string, args: readonly string[]) =>
  ufs(['scan', '--hostname', hostname, '--no-cache', '--timeout', '2', ...args, root], {
    env: front.env(),
    timeoutMs: 90_000,
  });

describe('ufs scan: two uploads the server stops taking', () => {
  it.each([
    ['one request each (POST /upload_file)', 'stall-post', [] as string[], '/upload_file/'],
    ['resumable (tus PATCH)', 'stall-tus', ['--tus-threshold', '64KiB'], '/tus/'],
  ])(
    '%s: a TIMEOUT naming each file and the server, one line each, retryable',
    async (_name, host, args, route) => {
      const root = await tree(host, { a: randomBytes(2_000_000), b: randomBytes(2_000_000) });
      const files = [join(root, 'a'), join(root, 'b')];

      const text = await scan(`${host}-text`, root, args);
      expect(text.status).toBe(75);
      expect(text.stdout).toMatch(/^failed:\s+2$/m);
      const lines = text.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      for (const file of files) {
        const line = lines.find((l) => l.includes(`"${file}"`));
        expect(line).toMatch(new RegExp(`no answer for 2 s to (POST|PATCH) ${front.url}${route}`));
        expect(line).toContain('(wait longer with --timeout SECONDS)');
      }

      const json = await scan(`${host}-json`, root, [...args, '--json']);
      expect(json.status).toBe(75);
      const out = json.json<ScanJson>();
      expect(out.stats).toMatchObject({ new: 2, uploaded: 0, failed: 2 });
      expect(out.failures.map((f) => f.context.path).sort()).toEqual(files);
      for (const failure of out.failures) {
        expect(failure).toMatchObject({ code: 'TIMEOUT', retryable: true, context: { backend: 'server' } });
        expect(String(failure.context.url)).toContain(`${front.url}${route}`);
        expect(failure.message).toContain(front.url);
      }
      expect(out.error).toMatchObject({ code: 'TIMEOUT', retryable: true, exitCode: 75 });
    },
    180_000,
  );
});

describe('ufs scan: the server killed (kill -9) during a resumable upload', () => {
  it('fails that upload as a connection lost to the server while resuming it, UNAVAILABLE (69), retryable', async () => {
    const dying: Front = await serveBehindFront((req, res) => {
      if (req.method === 'PATCH') req.once('data', () => dying.server.child.kill('SIGKILL'));
      dying.forward(req, res);
    });
    try {
      const root = join(dying.box.dir, 'crash');
      await mkdir(root, { recursive: true });
      const file = join(root, 'big');
      await writeFile(file, randomBytes(4_000_000));
      const run = await ufs(['scan', '--hostname', 'crash', '--no-cache', '--tus-threshold', '64KiB', '--json', root], {
        env: dying.env(),
        timeoutMs: 120_000,
      });
      expect(run.status).toBe(69);
      const out = run.json<ScanJson>();
      expect(out.failures).toHaveLength(1);
      expect(out.failures[0]).toMatchObject({ code: 'UNAVAILABLE', retryable: true, context: { path: file } });
      expect(out.failures[0]!.message).toMatch(
        new RegExp(
          `^\\[ufs\\] \\[server\\] connection lost to ${dying.url} while resuming the upload of "${file}" \\(HEAD: `,
        ),
      );
      expect(out.failures[0]!.message).not.toContain('tus:');
      expect(run.stderr.trim().split('\n')).toEqual([out.failures[0]!.message]);
    } finally {
      await dying.close();
    }
  }, 180_000);
});
