import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countingProxy, type CountingProxy } from './helpers/counting-proxy.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs, type Run } from './helpers/ufs.js';

// Ctrl-C while batches of records and uploads are under way: the summary says what the server holds. A batch or an
// upload whose request went out gets its answer for a moment (1.5 s) more, and what it says counts (`sent`,
// `uploaded`, `notUploaded`); a batch still unanswered then is counted `unanswered` (the server may hold its records,
// without content). Against a real `ufs serve`, through proxies that hold every answer back.

interface ScanJson {
  stats: Record<string, number>;
  error?: { code: string };
}

const FILES = 600;
let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let root: string;

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  root = join(box.dir, 'tree');
  await mkdir(root, { recursive: true });
  for (let i = 0; i < FILES; i++) await writeFile(join(root, `f${i}.txt`), `unique ${i}\n`);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await box?.cleanup();
});

async function held(hostname: string): Promise<{ records: number; withContent: number; without: number }> {
  const res = await fetch(`${server.url}/files?hostname=${hostname}&limit=1000`, {
    headers: { 'x-api-key': server.apiKey! },
  });
  const items = ((await res.json()) as { items: Array<{ has_file_content: boolean }> }).items;
  const withContent = items.filter((r) => r.has_file_content).length;
  return { records: items.length, withContent, without: items.length - withContent };
}

/** A scan through `proxy`, stopped by Ctrl-C once `ready` says so (polled every 10 ms). */
function stoppedScan(
  proxy: CountingProxy,
  hostname: string,
  ready: () => boolean,
  flags: readonly string[] = ['--json'],
): Promise<Run> {
  return ufs(['scan', '--hostname', hostname, '--no-cache', '--batch-size', '100', ...flags, root], {
    env: { ...box.env, UFS_SERVER: proxy.url, UFS_API_KEY: server.apiKey! },
    timeoutMs: 30_000,
    onSpawn: (child) => {
      const poll = setInterval(() => {
        if (ready()) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 10);
      child.once('exit', () => clearInterval(poll));
    },
  });
}

describe('ufs scan: the summary after Ctrl-C says what the server holds', () => {
  it('counts the batches and uploads whose answer came after the stop', async () => {
    // Every answer comes 500 ms after the server gave it: when the stop comes, batches and uploads are under way.
    const proxy = await countingProxy(server.url, { delayMs: 500 });
    try {
      const run = await stoppedScan(proxy, 'answered', () => (proxy.requests['POST /upload_file'] ?? 0) >= 4);
      expect(run.status).toBe(130);
      const { stats, error } = run.json<ScanJson>();
      expect(error).toMatchObject({ code: 'ABORTED' });
      const server = await held('answered');
      expect(server.records).toBeGreaterThan(0);
      expect(stats).toMatchObject({
        sent: server.records,
        uploaded: server.withContent,
        notUploaded: server.without,
        unanswered: 0,
        failed: 0,
      });
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('counts the records of a batch still unanswered as "unanswered" (the server may hold them)', async () => {
    // Answers held back 5 s: none comes before the scan gives up on them.
    const proxy = await countingProxy(server.url, { delayMs: 5000 });
    try {
      /** Once the first batch is sent, and a moment for the server to store the batches sent. */
      const afterFirstBatch = () => {
        proxy.reset();
        let firstAt = 0;
        return () => {
          if (!firstAt && (proxy.requests['POST /put_files'] ?? 0) >= 1) firstAt = Date.now();
          return firstAt > 0 && Date.now() - firstAt > 300;
        };
      };
      const started = Date.now();
      const run = await stoppedScan(proxy, 'unanswered', afterFirstBatch());
      expect(run.status).toBe(130);
      expect(Date.now() - started).toBeLessThan(5000);
      const { stats } = run.json<ScanJson>();
      const server = await held('unanswered');
      expect(server.records).toBeGreaterThan(0);
      expect(stats).toMatchObject({ sent: 0, uploaded: 0, notUploaded: 0, failed: 0, unanswered: server.records });
      // The summary says so too.
      const text = await stoppedScan(proxy, 'unanswered-text', afterFirstBatch(), []);
      expect(text.status).toBe(130);
      expect(text.stdout).toMatch(
        /^unanswered: +[1-9]\d* \(records sent when the scan stopped, no answer: the server may hold them without content; scan again\)$/m,
      );
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
