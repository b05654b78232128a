// POST /api_keys: a bad body is "invalid key request: <field>: …" (not "invalid API key", which reads as a bad
// X-API-Key), and a name's length is counted in characters (code points), as "1–100 characters" says.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApiKey, keyNameProblem } from '../src/index.js';
import { client } from './helpers/records.js';
import { startServer, type TestServer } from './helpers/server.js';

describe('POST /api_keys body errors and name lengths', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a bad field is "invalid key request", naming the field', async () => {
    const answer = await client(server.url, server.key).call('POST', '/api_keys', { name: 'bad\nname' });
    expect(answer.status).toBe(400);
    expect(answer.json.detail).toMatch(/^invalid key request: name: name must not hold control characters/);
    const scopes = await client(server.url, server.key).call('POST', '/api_keys', { name: 'ok', scopes: ['x'] });
    expect(scopes.status).toBe(400);
    expect(scopes.json.detail).toMatch(/^invalid key request: scopes\.0: /);
  });

  it('100 emoji are 100 characters: taken; 101 are refused as 101', async () => {
    const hundred = '🔑'.repeat(100);
    const taken = await client(server.url, server.key).call('POST', '/api_keys', { name: hundred });
    expect({ status: taken.status, name: taken.json.name }).toEqual({ status: 201, name: hundred });
    const refused = await client(server.url, server.key).call('POST', '/api_keys', { name: '🔑'.repeat(101) });
    expect(refused.status).toBe(400);
    expect(refused.json.detail).toBe('invalid key request: name: name is longer than 100 characters (101)');
    await expect(createApiKey(server.store, { name: hundred })).resolves.toMatchObject({ record: { name: hundred } });
  });

  it('keyNameProblem counts characters, positions too', () => {
    expect(keyNameProblem('🔑'.repeat(100))).toBeUndefined();
    expect(keyNameProblem('é'.repeat(101))).toBe('is longer than 100 characters (101)');
    expect(keyNameProblem('🔑🔑\n')).toBe('must not hold control characters (U+000A at position 3)');
  });
});

describe('revoking keys', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('an admin key may revoke any key: the key that created it, and itself', async () => {
    const scopes = ['read', 'write', 'admin'];
    const made = await client(server.url, server.key).call('POST', '/api_keys', { name: 'creator', scopes });
    const creator = client(server.url, made.json.api_key as string);
    const child = await creator.call('POST', '/api_keys', { name: 'child', scopes });
    const admin = client(server.url, child.json.api_key as string);
    expect((await admin.call('PUT', `/api_keys/${made.json._id}/revoke`)).status).toBe(200);
    expect((await creator.call('GET', '/api_keys')).status).toBe(401);
    expect((await admin.call('PUT', `/api_keys/${child.json._id}/revoke`)).status).toBe(200);
    const after = await admin.call('GET', '/api_keys');
    expect([after.status, after.json.detail]).toEqual([401, 'API key has been revoked']);
  });
});
