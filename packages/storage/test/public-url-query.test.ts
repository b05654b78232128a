// A base URL for public URLs (`baseUrl` on local, `publicBaseUrl` on S3) may carry a query string (a signed CDN
// token) or a fragment: the key's path goes at the end of the base's path, before them, as the http backend does.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StorageManager } from '../src/index.js';
import { urlJoiner } from '../src/util/join-url.js';
import { tempDir } from './helpers.js';

describe('public URLs from a base URL with a query string', () => {
  let storage: StorageManager;
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
    storage = new StorageManager();
  });
  afterEach(async () => {
    await storage.dispose();
    await dir.cleanup();
  });

  it('local and S3 put the key before the query, as the http backend does', async () => {
    const base = 'https://cdn.example.com/x/?sig=abc';
    await storage.configure([
      { name: 'web', protocol: 'http', baseUrl: base },
      { name: 'disk', protocol: 'local', root: dir.path, baseUrl: base },
      // No request is sent (versioning is not asked): url() with a public base builds the URL from the key.
      {
        name: 'cdn',
        protocol: 's3',
        bucket: 'bkt',
        region: 'us-east-1',
        accessKeyId: 'A',
        secretAccessKey: 'S',
        versioning: false,
        publicBaseUrl: base,
      },
    ]);
    const expected = 'https://cdn.example.com/x/photos/beach%20day.jpg?sig=abc';
    expect(await storage.node('web:photos/beach day.jpg').url()).toBe(expected);
    expect(await storage.node('disk:photos/beach day.jpg').url()).toBe(expected);
    expect(await storage.node('cdn:photos/beach day.jpg').url({ public: true })).toBe(expected);
  });

  it('keeps the query and fragment and drops the trailing slashes of the path only', () => {
    expect(urlJoiner('https://h.example/a//?s=1&t=2#top')('k/v%20w')).toBe('https://h.example/a/k/v%20w?s=1&t=2#top');
    expect(urlJoiner('https://h.example?s=/x/')('k')).toBe('https://h.example/k?s=/x/');
    expect(urlJoiner('https://h.example/a#f')('k')).toBe('https://h.example/a/k#f');
    expect(urlJoiner('https://h.example/a/')('k')).toBe('https://h.example/a/k');
  });
});
