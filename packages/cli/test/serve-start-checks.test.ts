// `ufs serve` and the API server (apps/api) read a data folder alike and refuse the same starts: one store file
// (`ufs.db`, an older `metadata.sqlite` still used alone), a content mount that cannot be written or that a restart
// loses, a data folder that cannot be one. And `ufs server …` against a plain-HTTP server given as https:// says so.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SqliteStore, createApiKey } from '@org/server';
import { s3Bucket } from './helpers/s3.js';
import { serve } from './helpers/serve.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;

beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => box.cleanup());

/** The one line of a failed start (no URL, no key on stdout). */
function refusal(run: { status: number | null; stdout: string; stderr: string }): string {
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('ufs serve: the data folder layout of the API server', () => {
  it('keeps its store in <data-dir>/ufs.db, where `key create --bootstrap` and the API server look', async () => {
    const data = join(box.dir, 'layout');
    // A data folder as the API server leaves it (UFS_DATA_DIR: ufs.db), with its key.
    await mkdir(data);
    const store = new SqliteStore({ path: join(data, 'ufs.db') });
    const { apiKey: apiServerKey } = await createApiKey(store, { name: 'api', scopes: ['read', 'write', 'admin'] });
    await store.close();
    const made = await ufs(['server', 'key', 'create', 'admin', '--bootstrap', '--data-dir', data, '--json'], {
      env: box.env,
    });
    expect(made.status).toBe(0);
    expect(existsSync(join(data, 'metadata.sqlite'))).toBe(false);
    const server = await serve(['--data-dir', data], box.env);
    try {
      expect(server.apiKey).toBeUndefined(); // its store has keys: the API server's one
      for (const key of [apiServerKey, made.json<{ api_key: string }>().api_key]) {
        const listed = await fetch(`${server.url}/api_keys`, { headers: { 'x-api-key': key } });
        expect(listed.status).toBe(200);
      }
    } finally {
      await server.stop();
    }
    // What is there is the rollback guard (a folder an older version cannot open as its store), not a store file.
    expect(statSync(join(data, 'metadata.sqlite')).isDirectory()).toBe(true);
  });

  it('a data folder of an older `ufs serve` (metadata.sqlite only) is used as it is; both files are refused', async () => {
    const data = join(box.dir, 'older');
    const first = await serve(['--data-dir', data], box.env);
    expect(first.apiKey).toMatch(/^[0-9a-f]{64}$/);
    expect(await first.stop()).toBe(0);
    await rm(join(data, 'metadata.sqlite'), { recursive: true }); // the rollback guard: older versions made none
    await rename(join(data, 'ufs.db'), join(data, 'metadata.sqlite')); // as the older version named it
    const again = await serve(['--data-dir', data], box.env);
    try {
      expect(again.apiKey).toBeUndefined(); // the same store: no second bootstrap key
      const listed = await fetch(`${again.url}/api_keys`, { headers: { 'x-api-key': first.apiKey! } });
      expect(listed.status).toBe(200);
    } finally {
      await again.stop();
    }
    expect(existsSync(join(data, 'ufs.db'))).toBe(false);

    // Both there (an API server started on it before the fix made an empty ufs.db): refused, naming both.
    const store = new SqliteStore({ path: join(data, 'ufs.db') });
    await store.close();
    const both = await ufs(['serve', '--port', '0', '--data-dir', data], { env: box.env });
    expect(both.status).toBe(64);
    expect(refusal(both)).toBe(
      `[ufs] --data-dir "${data}" holds two store files, "ufs.db" and "metadata.sqlite" (the name of older versions): keep the one with the records (rename it "ufs.db") and move the other away`,
    );
  });
});

describe('ufs serve: content mounts refused at start, as the API server refuses them (78)', () => {
  it('memory:// beside the SQLite store: its content would be gone after a restart', async () => {
    const data = join(box.dir, 'memory');
    const run = await ufs(['serve', '--port', '0', '--data-dir', data, '--content', 'memory://content'], {
      env: box.env,
    });
    expect(run.status).toBe(78);
    expect(refusal(run)).toBe(
      '[ufs] --content "memory://content" is a memory mount, whose content is lost when the server stops, while the metadata store (in a file) keeps its records: after a restart they would name content the server no longer has. Give a folder or an S3 URL',
    );
    expect(existsSync(join(data, 'ufs.db'))).toBe(false);
  });

  it('S3 with a wrong secret, or a bucket that does not exist: "cannot be written", no URL, no key', async () => {
    const { bucket } = await s3Bucket();
    const endpoint = process.env.UFS_TEST_S3_ENDPOINT!;
    const id = process.env.UFS_TEST_S3_ACCESS_KEY_ID!;
    const secret = process.env.UFS_TEST_S3_SECRET_ACCESS_KEY!;
    const url = (b: string, s: string) =>
      `s3://${encodeURIComponent(id)}:${encodeURIComponent(s)}@${b}/ufs?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&forcePathStyle=true&versioning=false`;
    for (const [content, why] of [
      [url(bucket, 'not-the-secret'), /SignatureDoesNotMatch|signature/i],
      [url(`${bucket}-missing`, secret), /NoSuchBucket|bucket/i],
    ] as const) {
      const data = join(box.dir, `s3-${Math.random().toString(36).slice(2)}`);
      const run = await ufs(['serve', '--port', '0', '--data-dir', data, '--content', content], { env: box.env });
      expect(run.status).toBe(78);
      const line = refusal(run);
      expect(line).toMatch(/^\[ufs\] --content "s3:\/\/.*\/ufs.*" cannot be written: /);
      expect(line).toMatch(why);
      expect(line).not.toContain('not-the-secret');
      expect(line).not.toContain(secret);
      expect(existsSync(join(data, 'ufs.db'))).toBe(false);
    }
    // The right one starts.
    const good = await serve(['--data-dir', join(box.dir, 's3-good'), '--content', url(bucket, secret)], box.env);
    expect(await good.stop()).toBe(0);
  });
});

describe('ufs serve: a data folder that cannot be one, in one line', () => {
  it('/proc/…: refused at once (no endless mkdir), 64', async () => {
    const started = Date.now();
    const run = await ufs(['serve', '--port', '0', '--data-dir', '/proc/ufs-nope'], {
      env: box.env,
      timeoutMs: 20_000,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.status).toBe(64);
    expect(refusal(run)).toBe(
      '[ufs] --data-dir "/proc/ufs-nope" cannot be created here (the file system of the folder above takes no new folder)',
    );
  });

  it('a dangling symbolic link, or a folder below one: named as such, 64', async () => {
    const link = join(box.dir, 'dangling');
    await symlink(join(box.dir, 'nowhere'), link);
    const run = await ufs(['serve', '--port', '0', '--data-dir', link], { env: box.env });
    expect(run.status).toBe(64);
    expect(refusal(run)).toBe(
      `[ufs] --data-dir "${link}" is a dangling symbolic link (to "${join(box.dir, 'nowhere')}"): create its target or remove the link`,
    );
    const below = await ufs(['server', 'key', 'create', 'a', '--bootstrap', '--data-dir', join(link, 'data')], {
      env: box.env,
    });
    expect(below.status).toBe(64);
    expect(refusal(below)).toMatch(/ is below a dangling symbolic link, /);
    expect(existsSync(join(box.dir, 'nowhere'))).toBe(false);
  });
});

describe('ufs server … -s https:// against a plain-HTTP server', () => {
  it('says the server does not speak TLS there (try http://), 78, not a raw OpenSSL error', async () => {
    const server = await serve(['--data-dir', join(box.dir, 'tls')], box.env);
    try {
      const https = server.url.replace(/^http:/, 'https:');
      const run = await ufs(['server', 'key', 'list', '-s', https, '-k', server.apiKey!], { env: box.env });
      expect(run.status).toBe(78);
      expect(refusal(run)).toBe(
        `[ufs] [server] GET /api_keys "${https}": the server does not speak TLS (HTTPS) at this address (it answers without TLS): if it serves plain HTTP, try --server ${server.url}`,
      );
      expect(run.stderr).not.toMatch(/EPROTO|SSL routines/);
    } finally {
      await server.stop();
    }
  });
});
