import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApiKey } from '../src/index.js';
import { badRequestCorpus, type BadRequest } from './helpers/corpus.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

describe('bad input: every malformed request gets a clear 4xx JSON error', () => {
  let server: TestServer;
  let corpus: BadRequest[];
  beforeAll(async () => {
    server = await startServer({ maxJsonBytes: 64 * 1024, maxUploadBytes: 128 * 1024, maxBatch: 20 });
    const revoked = await createApiKey(server.store, { name: 'revoked' });
    await server.store.updateApiKey(revoked.record.id, { is_active: false });
    const readOnly = await createApiKey(server.store, { name: 'ro', scopes: ['read'] });
    const c = client(server.url, server.key);
    await c.call('POST', '/put_file', fileRecord());
    await fetch(`${server.url}/files/${sha256Of('held')}/content`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key, 'content-type': 'application/octet-stream' },
      body: 'held',
    });
    corpus = badRequestCorpus({ revokedKey: revoked.apiKey, readOnlyKey: readOnly.apiKey });
  });
  afterAll(async () => server?.close());

  it('has at least 200 cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
  });

  it('answers each with a 4xx, a JSON detail, no stack trace and no internal path', async () => {
    const failures: string[] = [];
    for (const req of corpus) {
      const headers: Record<string, string> = { ...(req.headers ?? {}) };
      const key = req.key === undefined ? server.key : req.key;
      if (key !== null) headers['x-api-key'] = key;
      let body: string | Uint8Array | undefined = req.raw;
      if (req.json !== undefined) {
        body = JSON.stringify(req.json);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${server.url}${req.path}`, {
        method: req.method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      let json: { detail?: unknown; code?: unknown } | undefined;
      try {
        json = JSON.parse(text) as typeof json;
      } catch {
        json = undefined;
      }
      const problems = [];
      if (response.status < 400 || response.status >= 500) problems.push(`status ${response.status}`);
      if (typeof json?.detail !== 'string' || json.detail.length === 0) problems.push('no JSON detail');
      if (typeof json?.code !== 'string') problems.push('no code');
      if (/\bat \S+ \(|\.ts:\d+|\.js:\d+|node_modules|\/work\/|\/tmp\/|ufs\.db/.test(text))
        problems.push('leaks internals');
      if (problems.length)
        failures.push(
          `${req.name} (${req.method} ${req.path.slice(0, 60)}): ${problems.join(', ')} — ${text.slice(0, 160)}`,
        );
    }
    expect(failures).toEqual([]);
  });
});
