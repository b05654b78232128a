import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { sleep } from '@org/core';
import { partialUpload } from './helpers/partial-upload.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * `/metrics` counts a request by the status it was answered with: a client that closes its connection right after the
 * last byte of a download (`Connection: close`, as curl does) got a 200, not a 499, and its duration is recorded; a
 * client that leaves before any answer (an abandoned upload) counts as 499.
 */

const DOWNLOADS = 100;
const CONTENT_ROUTE = 'route="/files/:sha256/content"';

/**
 * One download on its own TCP connection, `Connection: close`: reads the answer up to its last byte (Content-Length)
 * and closes the socket at once, before the server's own close. Resolves with the status line's code.
 */
function downloadAndClose(url: string, path: string, key: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nX-API-Key: ${key}\r\nConnection: close\r\n\r\n`);
    });
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
      if (buffer.length >= end + 4 + length) {
        socket.destroy();
        resolve(Number(head.split(' ')[1]));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('the server closed before the whole answer')));
  });
}

/** The value of one sample of /metrics (0 when absent). */
function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((p) => l.includes(p)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('/metrics: requests whose client closed the connection', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  const scrape = async () => (await client(server.url, server.key).call('GET', '/metrics')).text;

  it('counts downloads read to their last byte then closed (Connection: close) as 200, with their durations', async () => {
    const data = Buffer.alloc(256 * 1024, 7);
    const sha = sha256Of(data);
    const api = client(server.url, server.key);
    expect((await api.call('POST', '/put_file', fileRecord({ sha256: sha, file_size: data.length }))).status).toBe(201);
    const put = await fetch(`${server.url}/files/${sha}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(put.status).toBe(200);

    // In parallel: the client's close then often reaches the server before the answer's 'finish' does.
    const statuses = await Promise.all(
      Array.from({ length: DOWNLOADS }, () => downloadAndClose(server.url, `/files/${sha}/content`, server.key)),
    );
    expect(statuses).toEqual(Array<number>(DOWNLOADS).fill(200));

    // Every download is counted once (wait until all are, then check how).
    const get = `method="GET",${CONTENT_ROUTE}`;
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await scrape();
      const counted = ['200', '499'].reduce(
        (sum, status) => sum + sample(text, 'ufs_http_requests_total', `${get},status="${status}"`),
        0,
      );
      if (counted >= DOWNLOADS) break;
      await sleep(50);
    }
    expect({
      200: sample(text, 'ufs_http_requests_total', `${get},status="200"`),
      499: sample(text, 'ufs_http_requests_total', `${get},status="499"`),
      durations: sample(text, 'ufs_http_request_duration_seconds_count', get),
    }).toEqual({ 200: DOWNLOADS, 499: 0, durations: DOWNLOADS });
  });

  it('counts an upload its client abandons before any answer as 499, without a duration', async () => {
    const data = Buffer.alloc(1024 * 1024, 9);
    const sha = sha256Of(data);
    const put = `method="PUT",${CONTENT_ROUTE}`;
    const before = await scrape();
    const cut = partialUpload(server.url, `/files/${sha}/content`, server.key, data.subarray(0, 100_000), data.length, {
      'content-type': 'application/octet-stream',
    });
    await cut.sent;
    await sleep(200);
    cut.cut();
    await cut.ended;
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await scrape();
      if (sample(text, 'ufs_http_requests_total', `${put},status="499"`) > 0) break;
      await sleep(50);
    }
    expect(sample(text, 'ufs_http_requests_total', `${put},status="499"`)).toBe(1);
    expect(sample(text, 'ufs_http_request_duration_seconds_count', put)).toBe(
      sample(before, 'ufs_http_request_duration_seconds_count', put),
    );
  });
});
