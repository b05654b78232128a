// What a real `ufs serve --json` writes where: stdout carries its one JSON line and nothing else, every log line goes
// to stderr (uncoloured when stderr is not a terminal), and a failure of its own content folder is a 500 that tells
// the client nothing of the folder (the full error is in its log).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sandbox, BIN } from './helpers/ufs.js';

const sha256Of = (data: string) => createHash('sha256').update(data).digest('hex');

describe('ufs serve --json: stdout is the JSON line only, logs go to stderr', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';
  let info: { url: string; apiKey: string; dataDir: string };
  let locked: string | undefined;
  const unlock = () => {
    if (locked) execFileSync('chattr', ['-i', locked]);
    locked = undefined;
  };

  beforeAll(async () => {
    box = await sandbox();
    // A dumb terminal name and no NO_COLOR: only stderr not being a terminal keeps colours out.
    const env: Record<string, string> = { ...process.env, NODE_OPTIONS: '', TERM: 'xterm-256color', ...box.env };
    delete env.NO_COLOR;
    child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('\n')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`ufs serve did not start:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    info = JSON.parse(stdout.split('\n')[0]!) as typeof info;
  });
  afterAll(async () => {
    unlock();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await box?.cleanup();
  });

  const putContent = (sha: string, data: string) =>
    fetch(`${info.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': info.apiKey, 'content-type': 'application/octet-stream' },
      body: data,
    });

  /** Waits until stderr holds a line matching `pattern` (the log is written asynchronously). */
  const logged = async (pattern: RegExp): Promise<string> => {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const line = stderr.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) return line;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no log line matching ${pattern} in:\n${stderr}`);
  };

  it('a stored object gone missing: 404, the warning on stderr without ANSI colours, nothing more on stdout', async () => {
    const data = 'an object that goes missing\n';
    const sha = sha256Of(data);
    expect((await putContent(sha, data)).status).toBe(200);
    await rm(join(info.dataDir, 'content', sha.slice(0, 2), sha));
    const res = await fetch(`${info.url}/files/${sha}/content`, { headers: { 'x-api-key': info.apiKey } });
    expect(res.status).toBe(404);
    const line = await logged(/WARN \[ufs\.content\] content [0-9a-f]{64} is held by the store but its object/);
    expect(line).toContain(sha);
    expect(stderr).not.toContain('\u001b[');
    expect(stdout.split('\n')).toEqual([expect.stringMatching(/^\{"url":"http:\/\/127\.0\.0\.1:\d+","apiKey":/), '']);
  });

  it('its content folder refusing a write: 503 "cannot store content now" (not 403, not 500), the full error on stderr', async () => {
    const data = 'the content folder of this hash is immutable\n';
    const sha = sha256Of(data);
    const folder = join(info.dataDir, 'content', sha.slice(0, 2));
    await mkdir(folder, { recursive: true });
    execFileSync('chattr', ['+i', folder]);
    locked = folder;
    try {
      const res = await putContent(sha, data);
      const text = await res.text();
      expect({ status: res.status, body: JSON.parse(text) as unknown }).toEqual({
        status: 503,
        body: { detail: 'the server cannot store content now', code: 'UNAVAILABLE', retryable: false },
      });
      expect(text).not.toMatch(/content:|EPERM|not permitted|\/tmp\//);
      expect(await logged(/ERROR \[ufs\.http\] UNAVAILABLE: .*write "content:.*\(EPERM\)/)).toContain(sha);
    } finally {
      unlock();
    }
    expect((await putContent(sha, data)).status).toBe(200);
    expect(stdout.split('\n')).toHaveLength(2);
    expect(stderr).not.toContain('\u001b[');
  });
});
