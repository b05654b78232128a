import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countingProxy, type CountingProxy } from './helpers/counting-proxy.js';
import { frames, screen, ufsInPty } from './helpers/pty.js';
import { serve, type Served } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

// File names holding control characters: their content is uploaded by the multipart route (the part header's
// filename is one every parser takes), and on a terminal the scan shows such a name escaped wherever it prints it —
// the progress line, the per-failure lines, the closing line — never the raw bytes (a terminal would run them: set
// the window title, clear the screen). Against a real `ufs serve`, on a real pseudo-terminal.

let box: Awaited<ReturnType<typeof sandbox>>;
let server: Served;
let env: Record<string, string>;

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function contentOf(hostname: string): Promise<Record<string, boolean>> {
  const res = await fetch(`${server.url}/files?hostname=${encodeURIComponent(hostname)}&limit=1000`, {
    headers: { 'x-api-key': server.apiKey! },
  });
  const items = ((await res.json()) as { items: Array<{ filepath: string; has_file_content: boolean }> }).items;
  return Object.fromEntries(items.map((r) => [r.filepath, r.has_file_content]));
}

beforeAll(async () => {
  box = await sandbox();
  server = await serve([], box.env);
  env = { ...box.env, UFS_SERVER: server.url, UFS_API_KEY: server.apiKey! };
});
afterAll(async () => {
  await server?.stop();
  await box?.cleanup();
});

describe('ufs scan: names with control characters', () => {
  it('uploads their content by the multipart route (no "Malformed part header")', async () => {
    const root = join(box.dir, 'multipart');
    await mkdir(root, { recursive: true });
    const names = ['ctl\x01name', 'esc\x1b[2J', 'del\x7f', 'tab\tname', 'new\nline', 'quote"back\\slash', 'pct%22'];
    for (const name of names) await writeFile(join(root, name), `content of ${JSON.stringify(name)}\n`);
    const run = await ufs(['scan', '--hostname', 'ctl', '--no-cache', '--json', root], { env, timeoutMs: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.json<{ stats: Record<string, number> }>().stats).toMatchObject({
      files: names.length,
      uploaded: names.length,
      failed: 0,
    });
    expect(await contentOf('ctl')).toEqual(Object.fromEntries(names.map((name) => [join(root, name), true])));
  });

  it('shows them escaped on a terminal: the progress line, the failure and the closing line', async () => {
    const root = join(box.dir, 'tty');
    await mkdir(root, { recursive: true });
    // Uploaded slowly (the answer held back): the progress line names it.
    const evil = 'evil\x1b]0;PWNED\x07\x1b[2J';
    await writeFile(join(root, evil), randomBytes(200_000));
    // Its upload refused (413 from the proxy): a failure naming it, and the closing line.
    const red = 'red\x1b[31mX';
    const refused = randomBytes(1000);
    await writeFile(join(root, red), refused);
    const slow: CountingProxy = await countingProxy(server.url, {
      delayMs: 700,
      fault: (req) => (req.url?.startsWith(`/upload_file/${sha(refused)}?`) ? 413 : undefined),
    });
    try {
      const run = await ufsInPty(
        ['scan', '--server', slow.url, '--no-cache', '--hostname', 'tty-names', '--uploads', '1', root],
        { env, cols: 200 },
      );
      expect(run.status).toBe(65);
      const out = run.stdout;
      // No raw escape of a name reached the terminal: only the progress line's own `\r ESC[2K` (screen() throws on any
      // other control character).
      expect(out).not.toContain('\x07');
      expect(out).not.toContain('\x1b]');
      expect(out).not.toContain('\x1b[31m');
      const shown = screen(out);
      expect(frames(out).some((line) => line.includes(`uploading ${JSON.stringify(evil)} `))).toBe(true);
      const failure = shown.filter((line) => line.startsWith('[ufs] '));
      expect(failure).toEqual([expect.stringContaining(JSON.stringify(join(root, red)))]);
      const closing = shown.filter((line) => line.startsWith('1 failure(s); first: '));
      expect(closing).toEqual([expect.stringContaining(JSON.stringify(join(root, red)))]);
    } finally {
      await slow.close();
    }
  });
});
