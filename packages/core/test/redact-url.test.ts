import { describe, expect, it } from '@jest/globals';
import { redactUrl } from '../src/index.js';

describe('redactUrl', () => {
  it('leaves out the user info of scheme:// URLs, up to the last @ before the path', () => {
    expect(redactUrl('mongodb://bob:s3cret@db1:27017,db2/ufs?tls=true')).toBe('mongodb://db1:27017,db2/ufs?tls=true');
    expect(redactUrl('mongodb+srv://bob@cluster.example.net/ufs')).toBe('mongodb+srv://cluster.example.net/ufs');
    expect(redactUrl('mongodb://a:b@c@host/x')).toBe('mongodb://host/x');
    expect(redactUrl('https://user:pw@example.com/a@b?q=@')).toBe('https://example.com/a@b?q=@');
  });

  it('shows the values of query parameters holding a secret as ***, keeping the others', () => {
    expect(redactUrl('s3://ufs/p?endpoint=http://h:1&secretAccessKey=abc%2Fd&region=us-east-1')).toBe(
      's3://ufs/p?endpoint=http://h:1&secretAccessKey=***&region=us-east-1',
    );
    expect(
      redactUrl(
        'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F1&X-Amz-Signature=f00&X-Amz-Security-Token=t',
      ),
    ).toBe(
      'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***',
    );
    expect(redactUrl('https://a.blob.core.windows.net/c?sv=2024&sig=abc&se=2026')).toBe(
      'https://a.blob.core.windows.net/c?sv=2024&sig=***&se=2026',
    );
    expect(redactUrl('webdav://u:p@h/x?password=pw&access_token=t&api-key=k#frag')).toBe(
      'webdav://h/x?password=***&access_token=***&api-key=***#frag',
    );
    // Names that only look alike stay, and so does an empty value.
    expect(redactUrl('https://h/x?keyword=a&monkey=b&token=')).toBe('https://h/x?keyword=a&monkey=b&token=');
  });

  it('returns other text unchanged', () => {
    expect(redactUrl('mongodb://127.0.0.1:1/x')).toBe('mongodb://127.0.0.1:1/x');
    expect(redactUrl('/srv/ufs/content')).toBe('/srv/ufs/content');
    expect(redactUrl('not a url @ all')).toBe('not a url @ all');
  });
});
