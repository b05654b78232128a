import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openContentMount, type ContentMount } from '../src/index.js';
import { observeBackend, type ObservedBackend } from './helpers/observed-backend.js';
import { client, fileRecord, sha256Of, type TestClient } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

const EMPTY = sha256Of('');

/** What put_file promises about content, and upload_file's answer when the record changes during the upload. */
describe('file records and their uploads', () => {
  let dir: string;
  let mount: ContentMount;
  let observed: ObservedBackend;
  let server: TestServer;
  let c: TestClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ufs-records-'));
    mount = await openContentMount(join(dir, 'content'));
    observed = observeBackend(mount.backend);
    server = await startServer({ dir, content: observed.backend });
    c = client(server.url, server.key);
  });
  afterAll(async () => {
    await server?.close();
    await mount?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  // Before, a record of size 0 with another hash (a pseudo-file) was accepted and asked for its upload: the spec's
  // rule ties the upload to the size, so such a record (and the empty hash with a size) is now refused.
  it('size 0 and the hash of empty content go together: a record with one and not the other is refused', async () => {
    const bytes = 'a pseudo-file that reports size 0 but has content';
    const sha = sha256Of(bytes);
    const zero = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'z', filepath: '/proc/x', sha256: sha, file_size: 0 }),
    );
    expect(zero.status).toBe(400);
    expect(zero.json.detail).toContain('file_size is 0 but sha256 is not that of empty content');
    const sized = await c.call('POST', '/put_file', fileRecord({ hostname: 'z', filepath: '/e', sha256: EMPTY }));
    expect(sized.status).toBe(400);
    expect(sized.json.detail).toContain('sha256 is that of empty content but file_size is 5, not 0');
    const empty = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'z', filepath: '/e', sha256: EMPTY, file_size: 0 }),
    );
    expect(empty.json).toMatchObject({ has_file_content: true, upload_required: false, upload_url: null });

    const batch = await c.call('POST', '/put_files', {
      files: [
        fileRecord({ hostname: 'zb', filepath: '/e', sha256: EMPTY, file_size: 0 }),
        fileRecord({ hostname: 'zb', filepath: '/proc/x', sha256: sha, file_size: 0 }),
      ],
    });
    expect(batch.status).toBe(400);
    expect(batch.json.record).toBe(1);
    expect((await c.call('GET', `/files?hostname=zb`)).json.items).toEqual([]);

    // With the size of the bytes hashed, the record is asked for its upload, then held like any other.
    const real = fileRecord({ hostname: 'z', filepath: '/proc/x', sha256: sha, file_size: bytes.length });
    expect((await c.call('POST', '/put_file', real)).json).toMatchObject({ upload_required: true });
    expect((await c.upload(sha, bytes, 'z', '/proc/x')).status).toBe(200);
    expect((await c.call('GET', `/get_file/${sha}`)).json.has_file_content).toBe(true);
    expect((await c.call('POST', '/put_file', real)).json).toMatchObject({
      has_file_content: true,
      upload_required: false,
    });
  });

  /**
   * Sends the multipart head and half of `bytes`, runs `meanwhile` once the server has begun to store the content
   * (its record check is behind it), then the rest; answers the upload's status and body.
   */
  async function slowUpload(
    hostname: string,
    filepath: string,
    bytes: Buffer,
    meanwhile: () => Promise<void>,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const sha = sha256Of(bytes);
    const boundary = 'ufs-slow-upload-boundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const storing = observed.nextWrite('_tmp/');
    const query = new URLSearchParams({ hostname, filepath });
    const req = request(`${server.url}/upload_file/${sha}?${query}`, {
      method: 'POST',
      headers: {
        'x-api-key': server.key,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + bytes.length + tail.length),
      },
    });
    const answer = new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      });
    });
    const half = bytes.length >> 1;
    req.write(Buffer.concat([head, bytes.subarray(0, half)]));
    await storing;
    await meanwhile();
    req.end(Buffer.concat([bytes.subarray(half), tail]));
    return answer;
  }

  it('upload_file answers 404 when the record is deleted while its content is being uploaded', async () => {
    const bytes = Buffer.alloc(512 * 1024, 'deleted meanwhile ');
    const sha = sha256Of(bytes);
    const put = await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'd', filepath: '/gone', sha256: sha, file_size: bytes.length }),
    );
    const id = put.json._id as string;
    const answer = await slowUpload('d', '/gone', bytes, async () => {
      expect((await c.call('DELETE', `/files/${id}`)).status).toBe(200);
    });
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    expect(answer.json.detail).toContain('/gone');
    expect(answer.json.message).toBeUndefined();
    // The bytes arrived and were verified: they stay until gc finds nothing refers to them.
    expect((await server.store.getContent(sha))?.state).toBe('present');
  });

  it('upload_file answers 404 when a rescan changes the record to another hash during the upload', async () => {
    const bytes = Buffer.alloc(512 * 1024, 'rescanned meanwhile ');
    const sha = sha256Of(bytes);
    const record = fileRecord({ hostname: 'r', filepath: '/changed', sha256: sha, file_size: bytes.length });
    await c.call('POST', '/put_file', record);
    const answer = await slowUpload('r', '/changed', bytes, async () => {
      const rescan = { ...record, sha256: sha256Of('newer content'), file_size: 13 };
      expect((await c.call('POST', '/put_file', rescan)).status).toBe(201);
    });
    expect(answer.status).toBe(404);
    expect(answer.json.code).toBe('NOT_FOUND');

    // Unchanged during the upload: 200 as before.
    const kept = Buffer.alloc(256 * 1024, 'kept ');
    await c.call(
      'POST',
      '/put_file',
      fileRecord({ hostname: 'r', filepath: '/kept', sha256: sha256Of(kept), file_size: kept.length }),
    );
    const ok = await slowUpload('r', '/kept', kept, async () => undefined);
    expect(ok).toMatchObject({ status: 200, json: { message: 'File uploaded successfully', sha256: sha256Of(kept) } });
  });
});
