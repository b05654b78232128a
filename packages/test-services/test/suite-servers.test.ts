// The per-suite servers other packages import from here (azurite, webdav-server, the Dropbox API fake): each starts
// on 127.0.0.1, answers a real request of its protocol, and is gone after stop().
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { AZURITE_ACCOUNT, startAzurite, startDropboxFake, startWebdavServer } from '../src/index.js';

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

describe('per-suite servers', () => {
  it('startAzurite serves the blob API of the development account until stopped', async () => {
    const azurite = await startAzurite();
    const listing = await fetch(`${azurite.blobEndpoint}?comp=list`);
    // Unsigned: azurite answers with its own refusal, proof that the blob service (not some other server) is there.
    expect(listing.status).toBe(403);
    expect(await listing.text()).toContain('AuthorizationFailure');
    expect(azurite.blobEndpoint).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${AZURITE_ACCOUNT}$`));
    expect(azurite.connectionString).toContain(`BlobEndpoint=${azurite.blobEndpoint};`);
    await azurite.stop();
    expect(await refused(`${azurite.blobEndpoint}?comp=list`)).toBe(true);
  }, 60_000);

  it('startWebdavServer serves its folder to its user only', async () => {
    const dav = await startWebdavServer();
    const auth = `Basic ${Buffer.from(`${dav.username}:${dav.password}`).toString('base64')}`;
    expect((await fetch(`${dav.url}a.txt`, { method: 'PUT', body: 'hi' })).status).toBe(401);
    expect((await fetch(`${dav.url}a.txt`, { method: 'PUT', body: 'hi', headers: { authorization: auth } })).ok).toBe(
      true,
    );
    const propfind = await fetch(dav.url, { method: 'PROPFIND', headers: { authorization: auth, depth: '1' } });
    expect(propfind.status).toBe(207);
    expect(await propfind.text()).toContain('a.txt');
    await dav.stop();
    expect(existsSync(dav.dir)).toBe(false);
    expect(await refused(dav.url)).toBe(true);
  });

  it('startDropboxFake answers Dropbox API v2 calls with their shapes', async () => {
    const dropbox = await startDropboxFake();
    dropbox.tokens.add('t');
    const call = (route: string, body: unknown, token = 't') =>
      fetch(`${dropbox.url}/api.dropboxapi.com/2/${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await call('files/get_metadata', { path: '/nope' }, 'wrong')).status).toBe(401);
    const missing = await call('files/get_metadata', { path: '/nope' });
    expect(missing.status).toBe(409);
    expect(((await missing.json()) as { error_summary: string }).error_summary).toMatch(/^path\/not_found/);
    expect(dropbox.calls).toContain('files/get_metadata');
    await dropbox.close();
    expect(await refused(dropbox.url)).toBe(true);
  });
});
