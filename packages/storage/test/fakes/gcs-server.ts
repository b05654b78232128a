import { randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { body, checkHashHeader, fieldsFrom, HttpFailure, json, multipart, sendMedia } from './gcs-http.js';
import { checkSignedUrl } from './gcs-signature.js';
import {
  applyFields,
  findGeneration,
  liveObject,
  listObjects,
  objectResource,
  putObject,
  removeGeneration,
  retireLive,
  type FakeBucket,
  type StoredObject,
  type WritableFields,
} from './gcs-store.js';

/**
 * A local HTTP server following the Cloud Storage JSON API (https://cloud.google.com/storage/docs/json_api) for
 * exactly the calls @google-cloud/storage v7 makes for the gcs backend: buckets.get; objects.get (metadata and
 * `alt=media` with Range), objects.list (prefix, delimiter, maxResults, pageToken, versions), objects.delete,
 * objects.patch, objects.rewrite; uploads (`uploadType=media|multipart|resumable`, single- or multi-chunk, with
 * X-Goog-Hash checked) with `ifGenerationMatch` preconditions; and GET/HEAD/PUT through V4 signed URLs (XML API
 * paths `/<bucket>/<object>`) whose signatures and expiry are verified against registered public keys.
 *
 * Not covered (a real GCS would differ or do more): OAuth/IAM (requests carry no token and are all allowed), ACLs,
 * composite objects (no md5Hash), storage classes, retention, requester pays, CMEK, gzip transcoding, the XML API
 * beyond signed GET/HEAD/PUT, rewrite across locations in several calls (one call always finishes), rate limits
 * (429/503 never happen), resumable session expiry, and the exact wording of error messages.
 */
export interface FakeGcs {
  /** `http://127.0.0.1:<port>`: give it to the SDK as `apiEndpoint`. */
  endpoint: string;
  /** `METHOD /path?query` of every request, in order (to see what the SDK really sends). */
  requests: string[];
  buckets: Map<string, FakeBucket>;
  addBucket(name: string, options?: { versioning?: boolean; denied?: boolean }): FakeBucket;
  /** When true, media downloads flip their first byte (to test the SDK's integrity check). */
  corruptDownloads: boolean;
  /** Lets signed URLs of this service account verify. */
  addServiceAccount(email: string, publicKey: KeyObject): void;
  close(): Promise<void>;
}

interface Session {
  bucket: FakeBucket;
  name: string;
  fields: WritableFields;
  ifGenerationMatch: string | null;
  chunks: Buffer[];
  received: number;
}

function precondition(bucket: FakeBucket, name: string, ifGenerationMatch: string | null): void {
  if (ifGenerationMatch === null) return;
  const live = liveObject(bucket, name);
  const current = live ? String(live.generation) : '0';
  if (current !== ifGenerationMatch) throw new HttpFailure(412, 'conditionNotMet', 'Precondition Failed');
}

export async function startFakeGcs(): Promise<FakeGcs> {
  const buckets = new Map<string, FakeBucket>();
  const sessions = new Map<string, Session>();
  const keys = new Map<string, KeyObject>();
  const requests: string[] = [];
  let endpoint = '';

  const bucketNamed = (name: string | undefined): FakeBucket => {
    const bucket = name === undefined ? undefined : buckets.get(decodeURIComponent(name));
    if (!bucket) throw new HttpFailure(404, 'notFound', 'The specified bucket does not exist.');
    if (bucket.denied) {
      throw new HttpFailure(
        403,
        'forbidden',
        `caller does not have storage.objects access to the bucket ${bucket.name}.`,
      );
    }
    return bucket;
  };
  const objectIn = (bucket: FakeBucket, name: string, generation: string | null): StoredObject => {
    const object = findGeneration(bucket, name, generation);
    if (!object) throw new HttpFailure(404, 'notFound', `No such object: ${bucket.name}/${name}`);
    return object;
  };
  const resource = (bucket: FakeBucket, object: StoredObject) => objectResource(bucket, object, endpoint);

  async function handleJsonApi(req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]): Promise<void> {
    const q = url.searchParams;
    const bucket = bucketNamed(parts[0]);
    if (parts.length === 1 && req.method === 'GET') {
      return json(res, 200, { kind: 'storage#bucket', name: bucket.name, versioning: { enabled: bucket.versioning } });
    }
    if (parts.length === 2 && parts[1] === 'o' && req.method === 'GET') {
      const page = listObjects(bucket, {
        prefix: q.get('prefix') ?? '',
        delimiter: q.get('delimiter'),
        maxResults: Math.min(Number(q.get('maxResults') ?? 1000) || 1000, 1000),
        pageToken: q.get('pageToken'),
        versions: q.get('versions') === 'true',
      });
      return json(res, 200, {
        kind: 'storage#objects',
        ...(page.items.length ? { items: page.items.map((o) => resource(bucket, o)) } : {}),
        ...(page.prefixes.length ? { prefixes: page.prefixes } : {}),
        ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      });
    }
    const name = parts[2] === undefined ? '' : decodeURIComponent(parts[2]);
    if (parts.length === 3 && parts[1] === 'o') {
      if (req.method === 'GET') {
        const object = objectIn(bucket, name, q.get('generation'));
        if (q.get('alt') === 'media') return sendMedia(req, res, object, new URLSearchParams(), fake.corruptDownloads);
        return json(res, 200, resource(bucket, object));
      }
      if (req.method === 'DELETE') {
        precondition(bucket, name, q.get('ifGenerationMatch'));
        const generation = q.get('generation');
        const done = generation ? removeGeneration(bucket, name, generation) : retireLive(bucket, name);
        if (!done) throw new HttpFailure(404, 'notFound', `No such object: ${bucket.name}/${name}`);
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'PATCH') {
        const object = objectIn(bucket, name, q.get('generation'));
        const wanted = q.get('ifMetagenerationMatch');
        if (wanted !== null && wanted !== String(object.metageneration)) {
          throw new HttpFailure(412, 'conditionNotMet', 'Precondition Failed');
        }
        applyFields(object, fieldsFrom(JSON.parse((await body(req)).toString() || '{}') as Record<string, unknown>));
        object.metageneration += 1;
        object.updated = new Date();
        return json(res, 200, resource(bucket, object));
      }
    }
    // objects.rewrite (and objects.copy): /b/<src>/o/<name>/(rewriteTo|copyTo)/b/<dst>/o/<name>
    if (parts.length === 8 && (parts[3] === 'rewriteTo' || parts[3] === 'copyTo') && req.method === 'POST') {
      const source = objectIn(bucket, name, q.get('sourceGeneration'));
      const target = bucketNamed(parts[5]);
      const targetName = decodeURIComponent(parts[7]!);
      precondition(target, targetName, q.get('ifGenerationMatch'));
      const given = JSON.parse((await body(req)).toString() || '{}') as Record<string, unknown>;
      // A request body is the destination's metadata; without one the source's is copied.
      const fields: WritableFields =
        Object.keys(given).length > 0
          ? fieldsFrom(given)
          : {
              contentType: source.contentType,
              cacheControl: source.cacheControl,
              contentDisposition: source.contentDisposition,
              metadata: source.metadata ?? null,
            };
      const copy = putObject(target, targetName, source.data, fields);
      const done = { kind: 'storage#rewriteResponse', done: true, resource: resource(target, copy) };
      const size = String(source.data.length);
      if (parts[3] === 'copyTo') return json(res, 200, resource(target, copy));
      return json(res, 200, { ...done, totalBytesRewritten: size, objectSize: size });
    }
    throw new HttpFailure(400, 'invalid', `unsupported JSON API call ${req.method} ${url.pathname}`);
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]): Promise<void> {
    const q = url.searchParams;
    const bucket = bucketNamed(parts[0]);
    if (parts[1] !== 'o') throw new HttpFailure(400, 'invalid', 'bad upload path');
    const uploadType = q.get('uploadType');
    if (req.method === 'POST' && (uploadType === 'media' || uploadType === 'multipart')) {
      const data = await body(req);
      let name = q.get('name') ?? '';
      let fields: WritableFields = { contentType: req.headers['content-type'] };
      let media = data;
      if (uploadType === 'multipart') {
        const parsed = multipart(String(req.headers['content-type']), data);
        name = typeof parsed.meta.name === 'string' && parsed.meta.name ? parsed.meta.name : name;
        fields = { contentType: parsed.type, ...fieldsFrom(parsed.meta) };
        media = parsed.media;
      }
      if (!name) throw new HttpFailure(400, 'required', 'Required: object name');
      const digests = checkHashHeader(req, media);
      precondition(bucket, name, q.get('ifGenerationMatch'));
      return json(res, 200, resource(bucket, putObject(bucket, name, media, fields, digests)));
    }
    if (req.method === 'POST' && uploadType === 'resumable') {
      const meta = JSON.parse((await body(req)).toString() || '{}') as Record<string, unknown>;
      const name = typeof meta.name === 'string' && meta.name ? meta.name : (q.get('name') ?? '');
      if (!name) throw new HttpFailure(400, 'required', 'Required: object name');
      precondition(bucket, name, q.get('ifGenerationMatch'));
      const contentType = req.headers['x-upload-content-type'];
      const fields = { ...(typeof contentType === 'string' ? { contentType } : {}), ...fieldsFrom(meta) };
      const id = randomUUID();
      sessions.set(id, {
        bucket,
        name,
        fields,
        ifGenerationMatch: q.get('ifGenerationMatch'),
        chunks: [],
        received: 0,
      });
      const location = `${endpoint}/upload/storage/v1/b/${encodeURIComponent(bucket.name)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
      res.writeHead(200, { location, 'content-length': 0 }).end();
      return;
    }
    if (req.method === 'PUT' && uploadType === 'resumable') {
      const session = sessions.get(q.get('upload_id') ?? '');
      if (!session) throw new HttpFailure(404, 'notFound', 'No such upload session');
      const data = await body(req);
      const m = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(String(req.headers['content-range'] ?? ''));
      if (!m) throw new HttpFailure(400, 'invalid', `bad Content-Range "${String(req.headers['content-range'])}"`);
      if (m[2] !== undefined) {
        if (Number(m[2]) !== session.received) {
          throw new HttpFailure(400, 'invalid', `chunk starts at ${m[2]}, expected ${session.received}`);
        }
        session.chunks.push(data);
        session.received += data.length;
      }
      // Finished: the total is known and reached, or a single request of unknown length (`bytes 0-*/*`) ended.
      const total = m[4] === '*' ? (m[3] === '*' ? session.received : undefined) : Number(m[4]);
      if (total === undefined || session.received < total) {
        const range = session.received > 0 ? { range: `bytes=0-${session.received - 1}` } : {};
        res.writeHead(308, { ...range, 'content-length': 0 }).end();
        return;
      }
      const media = Buffer.concat(session.chunks);
      const digests = checkHashHeader(req, media);
      sessions.delete(q.get('upload_id')!);
      precondition(session.bucket, session.name, session.ifGenerationMatch);
      const object = putObject(session.bucket, session.name, media, session.fields, digests);
      return json(res, 200, resource(session.bucket, object));
    }
    throw new HttpFailure(400, 'invalid', `unsupported upload ${req.method} uploadType=${uploadType}`);
  }

  async function handleSigned(req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]): Promise<void> {
    const xmlError = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/xml; charset=UTF-8' });
      res.end(`<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
    };
    if (!url.searchParams.has('X-Goog-Signature')) return xmlError(403, 'AccessDenied', 'Anonymous access denied.');
    const problem = checkSignedUrl(req, url, keys);
    if (problem) return xmlError(problem.status, problem.code, problem.message);
    const bucket = buckets.get(decodeURIComponent(parts[0] ?? ''));
    if (!bucket) return xmlError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
    const name = parts.slice(1).map(decodeURIComponent).join('/');
    if (req.method === 'GET' || req.method === 'HEAD') {
      const object = liveObject(bucket, name);
      if (!object) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.');
      return sendMedia(req, res, object, url.searchParams);
    }
    if (req.method === 'PUT') {
      const data = await body(req);
      const contentType = req.headers['content-type'];
      const object = putObject(bucket, name, data, typeof contentType === 'string' ? { contentType } : {});
      res.writeHead(200, { etag: `"${object.md5}"`, 'x-goog-generation': object.generation }).end();
      return;
    }
    return xmlError(405, 'MethodNotAllowed', `${req.method} is not allowed`);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', endpoint);
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const segments = url.pathname.split('/').slice(1);
    const handled = (async () => {
      if (url.pathname.startsWith('/storage/v1/b/')) return handleJsonApi(req, res, url, segments.slice(3));
      if (url.pathname.startsWith('/upload/storage/v1/b/')) return handleUpload(req, res, url, segments.slice(4));
      if (url.pathname.startsWith('/download/storage/v1/b/')) {
        const bucket = bucketNamed(segments[4]);
        const object = objectIn(bucket, decodeURIComponent(segments[6] ?? ''), url.searchParams.get('generation'));
        return sendMedia(req, res, object, new URLSearchParams());
      }
      return handleSigned(req, res, url, segments);
    })();
    handled.catch((err: unknown) => {
      const failure = err instanceof HttpFailure ? err : new HttpFailure(500, 'backendError', String(err));
      if (res.headersSent) return void res.destroy();
      json(res, failure.status, {
        error: {
          code: failure.status,
          message: failure.message,
          errors: [{ domain: 'global', reason: failure.reason, message: failure.message }],
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Never keeps the test process alive (afterAll does not run when every test of a file is filtered out).
  server.unref();
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeGcs = {
    endpoint,
    requests,
    buckets,
    corruptDownloads: false,
    addBucket(name, options = {}) {
      const bucket: FakeBucket = {
        name,
        versioning: options.versioning ?? false,
        denied: options.denied ?? false,
        objects: new Map(),
      };
      buckets.set(name, bucket);
      return bucket;
    },
    addServiceAccount(email, publicKey) {
      keys.set(email, publicKey);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return fake;
}
