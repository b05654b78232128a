import { describe, expect, it } from '@jest/globals';
import { redactUrl } from '../src/index.js';

describe('redactUrl', () => {
  it('leaves out the user info of scheme:// URLs, up to the last @ before the path', () => {
    expect(redactUrl('mongodb://bob:s3cret@db1:27017,db2/ufs?tls=true')).toBe('mongodb://db1:27017,db2/ufs?tls=true');
    expect(redactUrl('mongodb+srv://bob@cluster.example.net/ufs')).toBe('mongodb+srv://cluster.example.net/ufs');
    expect(redactUrl('mongodb://a:b@c@host/x')).toBe('mongodb://host/x');
    expect(redactUrl('https://user:pw@example.com/a@b?q=@')).toBe('https://example.com/a@b?q=@');
  });

  it('returns other text unchanged', () => {
    expect(redactUrl('mongodb://127.0.0.1:1/x')).toBe('mongodb://127.0.0.1:1/x');
    expect(redactUrl('/srv/ufs/content')).toBe('/srv/ufs/content');
    expect(redactUrl('not a url @ all')).toBe('not a url @ all');
  });
});
