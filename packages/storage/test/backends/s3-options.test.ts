// Options validation, mount URLs and client construction of the s3 backend: pure logic, no server needed.
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import definition from '../../src/backends/s3/index.js';
import { loadBackend } from '../../src/registry.js';

const MiB = 1024 * 1024;
const parse = (raw: Record<string, unknown>) => definition.options.safeParse(raw);
const problems = (raw: Record<string, unknown>) => {
  const result = parse(raw);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
};
const fromUrl = (url: string) => definition.fromUrl!(new URL(url));

describe('s3 options', () => {
  it('is the registered s3 protocol, loaded lazily', async () => {
    expect(await loadBackend('s3')).toBe(definition);
    expect(definition.protocol).toBe('s3');
  });

  it('requires a bucket name, not a URL or a path', () => {
    expect(problems({})).toMatch(/^bucket: bucket is required: the name of the S3 bucket/);
    expect(problems({ bucket: 's3://photos' })).toMatch(/bucket: bucket must be a bucket name .*not a URL/);
    expect(problems({ bucket: 'photos/2024' })).toMatch(/bucket must be a bucket name/);
    expect(problems({ bucket: 'x' })).toMatch(/bucket must be a bucket name/);
    expect(parse({ bucket: 'my.photos-2024' }).success).toBe(true);
  });

  it('applies defaults and normalises the prefix', () => {
    const options = definition.options.parse({ bucket: 'bkt', prefix: '/backups/2024/' });
    expect(options).toMatchObject({
      bucket: 'bkt',
      prefix: 'backups/2024',
      partSize: 8 * MiB,
      queueSize: 4,
      conditionalWrite: true,
      versioning: 'auto',
    });
    expect(definition.options.parse({ bucket: 'bkt', prefix: '' }).prefix).toBe('');
    expect(problems({ bucket: 'bkt', prefix: 'a/../b' })).toMatch(
      /prefix: prefix is not a valid key prefix: .*"\.\." segments/,
    );
  });

  it('checks sizes against the S3 part limits and reads units', () => {
    expect(definition.options.parse({ bucket: 'bkt', partSize: '16MiB', copyPartSize: '1G' })).toMatchObject({
      partSize: 16 * MiB,
      copyPartSize: 1024 * MiB,
    });
    expect(problems({ bucket: 'bkt', partSize: 1024 })).toMatch(
      /partSize: partSize must be a whole number of bytes from 5242880 to 5368709120, got 1024/,
    );
    expect(problems({ bucket: 'bkt', partSize: '6 parsecs' })).toMatch(/partSize "6 parsecs" is not a size/);
    expect(problems({ bucket: 'bkt', queueSize: 0 })).toMatch(/queueSize: queueSize must be at least 1/);
    expect(problems({ bucket: 'bkt', queueSize: 'many' })).toMatch(/queueSize: queueSize must be a number/);
  });

  it('explains bad endpoints, booleans and enums', () => {
    expect(problems({ bucket: 'bkt', endpoint: 'localhost:9000' })).toMatch(
      /endpoint: endpoint must be an http\(s\) URL/,
    );
    expect(problems({ bucket: 'bkt', endpoint: 'ftp://host' })).toMatch(/endpoint must be an http\(s\) URL/);
    expect(problems({ bucket: 'bkt', forcePathStyle: 'yes' })).toMatch(
      /forcePathStyle: forcePathStyle must be true or false/,
    );
    expect(problems({ bucket: 'bkt', checksums: 'always' })).toMatch(
      /checksums must be "when_supported" or "when_required"/,
    );
    expect(problems({ bucket: 'bkt', versioning: 'maybe' })).toMatch(/versioning must be true, false or "auto"/);
    expect(definition.options.parse({ bucket: 'bkt', forcePathStyle: 'true', versioning: 'false' })).toMatchObject({
      forcePathStyle: true,
      versioning: false,
    });
  });

  it('wants both halves of static credentials', () => {
    expect(problems({ bucket: 'bkt', accessKeyId: 'AK' })).toMatch(
      /secretAccessKey: accessKeyId and secretAccessKey go together/,
    );
    expect(problems({ bucket: 'bkt', secretAccessKey: 'SK' })).toMatch(/accessKeyId: accessKeyId and secretAccessKey/);
    expect(problems({ bucket: 'bkt', sessionToken: 'T' })).toMatch(/sessionToken: sessionToken needs accessKeyId/);
  });

  it('takes a ready client, but not together with connection options', () => {
    const client = new S3Client({ region: 'us-east-1' });
    try {
      expect(parse({ bucket: 'bkt', client }).success).toBe(true);
      expect(problems({ bucket: 'bkt', client, endpoint: 'http://127.0.0.1:1', region: 'x' })).toMatch(
        /region: region cannot be combined with a ready client[\s\S]*endpoint: endpoint cannot be combined/,
      );
      expect(problems({ bucket: 'bkt', client: { send: 1 } })).toMatch(/client: client must be an S3Client/);
    } finally {
      client.destroy();
    }
  });
});

describe('s3 mount URLs', () => {
  it('reads bucket, prefix and query options', () => {
    const raw = fromUrl(
      's3://photos/2024/summer?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A7480&forcePathStyle=true&partSize=16MiB',
    );
    expect(raw).toEqual({
      bucket: 'photos',
      prefix: '2024/summer',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:7480',
      forcePathStyle: 'true',
      partSize: '16MiB',
    });
    expect(definition.options.parse(raw)).toMatchObject({
      forcePathStyle: true,
      partSize: 16 * MiB,
      prefix: '2024/summer',
    });
  });

  it('accepts an unencoded endpoint, a bare bucket and percent-encoded prefixes', () => {
    expect(fromUrl('s3://bkt?endpoint=http://127.0.0.1:7480')).toEqual({
      bucket: 'bkt',
      endpoint: 'http://127.0.0.1:7480',
    });
    expect(fromUrl('s3://bkt/')).toEqual({ bucket: 'bkt' });
    expect(fromUrl('s3://bkt/with%20space/%C3%BC')).toEqual({ bucket: 'bkt', prefix: 'with space/ü' });
  });

  it('reads credentials from the user info', () => {
    expect(fromUrl('s3://AKID:se%2Fcret@bucket/p')).toEqual({
      bucket: 'bucket',
      prefix: 'p',
      accessKeyId: 'AKID',
      secretAccessKey: 'se/cret',
    });
  });

  it('refuses unknown parameters, ports and half credentials, without echoing secrets', () => {
    const refuse = (url: string) => {
      try {
        fromUrl(url);
      } catch (err) {
        expect(err).toBeInstanceOf(UfsError);
        expect((err as UfsError).code).toBe('CONFIG_INVALID');
        return (err as UfsError).message;
      }
      throw new Error(`${url} was accepted`);
    };
    expect(refuse('s3://b?regoin=x')).toMatch(/unknown parameter "regoin" \(known: region, endpoint/);
    expect(refuse('s3://b:9000/p')).toMatch(/a bucket name has no port; give the server as \?endpoint=/);
    expect(refuse('s3://AKID@b')).toMatch(/credentials in the URL need both parts/);
    expect(refuse('s3://AK:SECRET@b?region=a&region=b')).toMatch(/parameter "region" is given twice/);
    expect(refuse('s3://AK:SECRET@b?x=1')).not.toContain('SECRET');
    // Secrets given as parameters are not echoed either, when another parameter is the mistake.
    const withParams = refuse('s3://b?accessKeyId=AK&secretAccessKey=SUPERSECRET&sessionToken=TOKENVALUE&regoin=x');
    expect(withParams).toContain('unknown parameter');
    expect(withParams).not.toContain('SUPERSECRET');
    expect(withParams).not.toContain('TOKENVALUE');
  });
});

describe('s3 client construction', () => {
  const create = (raw: Record<string, unknown>, env: Record<string, string> = {}) =>
    definition.create(definition.options.parse({ versioning: false, ...raw }), { mountName: 'm', env });

  it('uses path-style for IP endpoints and the AWS variables of the mount environment', async () => {
    const backend = await create(
      { bucket: 'bkt', endpoint: 'http://127.0.0.1:9' },
      { AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'ENVKEY', AWS_SECRET_ACCESS_KEY: 'ENVSECRET' },
    );
    try {
      const url = new URL(await backend.presignGet!('a/b.txt', { expiresIn: 60 }));
      expect(url.host).toBe('127.0.0.1:9');
      expect(url.pathname).toBe('/bkt/a/b.txt');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^ENVKEY\/\d{8}\/eu-central-1\/s3\/aws4_request$/);
    } finally {
      await backend.dispose!();
    }
  });

  it('uses virtual-hosted style for named hosts unless forcePathStyle is set', async () => {
    const hosted = await create({
      bucket: 'bkt',
      endpoint: 'https://s3.example.com',
      accessKeyId: 'A',
      secretAccessKey: 'S',
    });
    const pathStyle = await create({
      bucket: 'bkt',
      endpoint: 'https://s3.example.com',
      forcePathStyle: true,
      accessKeyId: 'A',
      secretAccessKey: 'S',
    });
    try {
      expect(new URL(await hosted.presignGet!('k', { expiresIn: 60 })).host).toBe('bkt.s3.example.com');
      expect(new URL(await pathStyle.presignGet!('k', { expiresIn: 60 })).pathname).toBe('/bkt/k');
    } finally {
      await hosted.dispose!();
      await pathStyle.dispose!();
    }
  });

  it('gives public URLs only with publicBaseUrl, below the prefix and percent-encoded', async () => {
    const plain = await create({ bucket: 'bkt', accessKeyId: 'A', secretAccessKey: 'S' });
    const cdn = await create({
      bucket: 'bkt',
      prefix: 'site',
      publicBaseUrl: 'https://cdn.example.com/x/',
      accessKeyId: 'A',
      secretAccessKey: 'S',
    });
    try {
      expect(plain.capabilities.publicUrl).toBe(false);
      expect(plain.publicUrl).toBeUndefined();
      expect(cdn.capabilities.publicUrl).toBe(true);
      expect(cdn.publicUrl!("a b/ü'(1)#?.txt")).toBe('https://cdn.example.com/x/site/a%20b/%C3%BC%27%281%29%23%3F.txt');
    } finally {
      await plain.dispose!();
      await cdn.dispose!();
    }
  });

  it('refuses bad presign expiries and root keys before any request', async () => {
    const backend = await create({ bucket: 'bkt', accessKeyId: 'A', secretAccessKey: 'S' });
    try {
      await expect(backend.presignGet!('k', { expiresIn: 8 * 24 * 3600 })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/expiresIn must be a whole number of seconds from 1 to 604800/),
      });
      await expect(backend.presignPut!('k', { expiresIn: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(backend.read('')).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/the root is a folder, not an object/),
      });
    } finally {
      await backend.dispose!();
    }
  });
});
