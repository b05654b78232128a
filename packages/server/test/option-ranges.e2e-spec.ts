// Every numeric option of the dedup server has a range, checked at start-up (createDedupApp, so `ufs serve` and the
// module too): a value out of it fails with CONFIG_INVALID naming the option, instead of being taken and failing
// requests later (an upload expiry past the dates a Date can hold made every `POST /tus` a 500).
import { afterAll, describe, expect, it } from '@jest/globals';
import { MAX_DURATION_MS } from '../src/index.js';
import { sha256Of } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';
import { tusClient } from './helpers/tus.js';

describe('numeric options out of range', () => {
  const started: TestServer[] = [];
  afterAll(async () => {
    for (const server of started) await server.close();
  });

  const refused: Array<[string, number]> = [
    ['uploadExpiryMs', 9_999_999_999_999],
    ['uploadExpiryMs', 0],
    ['uploadExpiryMs', 1.5],
    ['gcGraceMs', MAX_DURATION_MS + 1],
    ['gcGraceMs', -1],
    ['keyCacheMs', 86_400_001],
    ['maxUploadBytes', 0],
    ['maxUploadBytes', Number.MAX_SAFE_INTEGER + 2],
    ['rateLimitPerMinute', -1],
    ['rateLimitPerMinute', Number.POSITIVE_INFINITY],
    ['bodyIdleTimeoutMs', 0],
    ['bodyIdleTimeoutMs', 86_400_001],
  ];

  it.each(refused)('%s = %p fails start-up with CONFIG_INVALID naming it', async (name, value) => {
    // A server that starts after all is closed with the others.
    const outcome = await startServer({ [name]: value }).then(
      (server) => void started.push(server),
      (err: unknown) => err,
    );
    expect(outcome).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((outcome as Error).message).toMatch(new RegExp(`^\\[ufs\\] ${name} must be a whole number of `));
  });

  it('the longest values are taken and work over HTTP: a tus upload expiring in ten years', async () => {
    const server = await startServer({
      uploadExpiryMs: MAX_DURATION_MS,
      gcGraceMs: MAX_DURATION_MS,
      keyCacheMs: 86_400_000,
      maxUploadBytes: Number.MAX_SAFE_INTEGER,
      rateLimitPerMinute: Number.MAX_SAFE_INTEGER,
      bodyIdleTimeoutMs: 86_400_000,
    });
    started.push(server);
    const created = await tusClient(server.url, server.key).create(sha256Of('x'), 1);
    expect(created.status).toBe(201);
    const head = await tusClient(server.url, server.key).head(created.location!);
    const expires = Date.parse(head.headers.get('upload-expires')!);
    expect(expires).toBeGreaterThan(Date.now() + MAX_DURATION_MS - 86_400_000);
  });
});
