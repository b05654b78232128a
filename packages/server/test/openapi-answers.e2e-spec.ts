import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { createBootstrapKey } from '../src/index.js';
import { RawConnection, rawRequest } from './helpers/raw-http.js';
import { fileRecord, sha256Of } from './helpers/records.js';
import { inOneRateWindow, startServer, type TestServer } from './helpers/server.js';

/**
 * The served OpenAPI document is a valid OpenAPI 3.0 document, and every answer of the server validates against the
 * schema the document declares for its route and status: every route with a JSON success answer, called for real
 * (several shapes of answer where a route has them), and the JSON error answers.
 */

type Schema = Record<string, unknown>;
interface Media {
  schema?: Schema;
}
interface DocResponse {
  content?: Record<string, Media>;
  headers?: Record<string, { schema?: Schema }>;
}
interface Operation {
  parameters?: { name: string; in: string; schema?: Schema; content?: unknown }[];
  requestBody?: { content?: Record<string, Media> };
  responses: Record<string, DocResponse>;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** Ajv 8 and ajv-formats (devDependencies; the validator fastify itself uses), through the types this test needs. */
interface Ajv {
  addSchema(schema: Schema, key: string): Ajv;
  addKeyword(keyword: string): Ajv;
  addFormat(name: string, format: boolean): Ajv;
  compile(schema: Schema): ((data: unknown) => boolean) & { errors?: unknown[] | null };
}
const fromHere = createRequire(import.meta.url);
const { default: AjvClass } = fromHere('ajv') as { default: new (options: Schema) => Ajv };
const { default: addFormats } = fromHere('ajv-formats') as { default: (ajv: Ajv) => Ajv };

/** The keywords of an OpenAPI 3.0 Schema Object (a `$ref` stands alone). */
const SCHEMA_30 = new Set(
  (
    'title multipleOf maximum exclusiveMaximum minimum exclusiveMinimum maxLength minLength pattern maxItems minItems ' +
    'uniqueItems maxProperties minProperties required enum type allOf oneOf anyOf not items properties ' +
    'additionalProperties description format default nullable discriminator readOnly writeOnly xml externalDocs ' +
    'example deprecated'
  ).split(' '),
);
const TYPES_30 = new Set(['integer', 'number', 'string', 'boolean', 'array', 'object']);
const REF = '#/components/schemas/';
const AJV_BASE = 'https://ufs.invalid/components/';

/** What makes `schema` (at `where`) not an OpenAPI 3.0 Schema Object, and in its subschemas. */
function schemaProblems(schema: unknown, where: string, problems: string[]): void {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    problems.push(`${where}: not a schema object`);
    return;
  }
  const s = schema as Schema;
  if ('$ref' in s) {
    if (Object.keys(s).length > 1) problems.push(`${where}: $ref with other keywords (ignored in 3.0)`);
    return;
  }
  for (const key of Object.keys(s)) if (!SCHEMA_30.has(key)) problems.push(`${where}: "${key}" is not 3.0`);
  if ('type' in s && !(typeof s.type === 'string' && TYPES_30.has(s.type))) {
    problems.push(`${where}: type ${JSON.stringify(s.type)} is not a 3.0 type`);
  }
  if (s.nullable !== undefined && (s.nullable !== true || s.type === undefined)) {
    problems.push(`${where}: nullable without a type`);
  }
  if (s.type === 'array' && s.items === undefined) problems.push(`${where}: an array without items`);
  for (const bound of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (bound in s && typeof s[bound] !== 'boolean') problems.push(`${where}: ${bound} is not a boolean`);
  }
  if ('required' in s && !(Array.isArray(s.required) && s.required.length > 0)) {
    problems.push(`${where}: required must be a non-empty list`);
  }
  for (const key of ['items', 'not']) if (key in s) schemaProblems(s[key], `${where}/${key}`, problems);
  if (typeof s.additionalProperties === 'object') {
    schemaProblems(s.additionalProperties, `${where}/additionalProperties`, problems);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    if (key in s) (s[key] as unknown[]).forEach((sub, i) => schemaProblems(sub, `${where}/${key}/${i}`, problems));
  }
  for (const [name, sub] of Object.entries((s.properties ?? {}) as Schema)) {
    schemaProblems(sub, `${where}/properties/${name}`, problems);
  }
}

/**
 * A 3.0 schema as Ajv (JSON Schema draft-07, which knows `nullable`) takes it: references to a component by Ajv id,
 * the boolean exclusive bounds as numbers.
 */
function forAjv(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forAjv);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string') out.$ref = `${AJV_BASE}${value.slice(REF.length)}`;
    else if (key === 'enum' || key === 'default' || key === 'example' || key === 'required') out[key] = value;
    else if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Schema).map(([name, sub]) => [name, forAjv(sub)]));
    } else out[key] = forAjv(value);
  }
  for (const [bound, limit] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (out[bound] === true) {
      out[bound] = out[limit];
      delete out[limit];
    } else if (out[bound] === false) delete out[bound];
  }
  return out;
}

/** An Ajv in strict mode (unknown keywords, formats, types, required properties) with the document's components. */
function ajvOf(doc: Doc): Ajv {
  const ajv = new AjvClass({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  ajv.addKeyword('example');
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    ajv.addSchema(forAjv(schema) as Schema, `${AJV_BASE}${name}`);
  }
  return ajv;
}

/** Every schema of the document, where it is. */
function documentSchemas(doc: Doc): [string, Schema][] {
  const found: [string, Schema][] = Object.entries(doc.components.schemas).map(([n, s]) => [`${REF}${n}`, s]);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const at = `${method.toUpperCase()} ${path}`;
      for (const p of op.parameters ?? []) if (p.schema) found.push([`${at} parameter ${p.name}`, p.schema]);
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        if (media.schema) found.push([`${at} body ${type}`, media.schema]);
      }
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (media.schema) found.push([`${at} ${status} ${type}`, media.schema]);
        }
        for (const [name, header] of Object.entries(response.headers ?? {})) {
          if (header.schema) found.push([`${at} ${status} header ${name}`, header.schema]);
        }
      }
    }
  }
  return found;
}

const MAX_JSON = 4096;
/** The server's bodyIdleTimeoutMs here: short, for the 408 of a stalled JSON body. */
const BODY_IDLE_MS = 500;

describe('OpenAPI document: a valid 3.0 document that the real answers validate against', () => {
  let server: TestServer;
  let doc: Doc;
  let ajv: Ajv;

  beforeAll(async () => {
    server = await startServer({ maxJsonBytes: MAX_JSON, bodyIdleTimeoutMs: BODY_IDLE_MS });
    doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as Doc;
  });
  afterAll(async () => server?.close());

  it('is OpenAPI 3.0: 3.0 Schema Objects only, every parameter typed, every schema compiled by Ajv in strict mode', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    const problems: string[] = [];
    for (const [where, schema] of documentSchemas(doc)) schemaProblems(schema, where, problems);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const p of op.parameters ?? []) {
          const schema = p.schema ?? {};
          if (schema.type === undefined && schema.$ref === undefined) {
            problems.push(`${method.toUpperCase()} ${path}: parameter ${p.name} has no type`);
          }
        }
        for (const [status, response] of Object.entries(op.responses)) {
          if (typeof (response as { description?: unknown }).description !== 'string') {
            problems.push(`${method.toUpperCase()} ${path} ${status}: no description (required in 3.0)`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    ajv = ajvOf(doc);
    const failed: string[] = [];
    for (const [where, schema] of documentSchemas(doc)) {
      try {
        ajv.compile(forAjv(schema) as Schema);
      } catch (error) {
        failed.push(`${where}: ${(error as Error).message}`);
      }
    }
    expect(failed).toEqual([]);
  });

  it('the query parameters of GET /files and the ApiKeyCreate scopes say what the server enforces', () => {
    const files = Object.fromEntries((doc.paths['/files']?.get?.parameters ?? []).map((p) => [p.name, p.schema]));
    expect(files.sha256).toMatchObject({ type: 'string', pattern: '^[0-9a-f]{64}$' });
    expect(files.hostname).toMatchObject({ type: 'string', minLength: 1 });
    expect(files.path_prefix).toMatchObject({ type: 'string', minLength: 1 });
    expect(files.cursor).toMatchObject({ type: 'string', minLength: 1 });
    const create = doc.components.schemas.ApiKeyCreate as { properties: Record<string, Schema> };
    expect(create.properties.scopes).toMatchObject({ type: 'array', minItems: 1 });
  });

  it('every JSON answer, success and error, validates against the schema documented for its route and status', async () => {
    ajv ??= ajvOf(doc);
    const problems: string[] = [];
    /** `METHOD /route status` of every answer validated. */
    const validated = new Set<string>();

    /** Sends a request; validates a JSON answer against the document's schema of `route` and its status. */
    async function call(
      method: string,
      route: string,
      path: string,
      options: { json?: unknown; body?: string | FormData; headers?: Record<string, string>; expect?: number } = {},
    ): Promise<unknown> {
      const headers: Record<string, string> = { 'x-api-key': server.key, ...options.headers };
      if (headers['x-api-key'] === '') delete headers['x-api-key'];
      if (options.json !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers,
        ...(options.json !== undefined && { body: JSON.stringify(options.json) }),
        ...(options.body !== undefined && { body: options.body }),
      });
      const text = await response.text();
      return answered(method, route, path, options.expect, response.status, response.headers.get('content-type'), text);
    }

    /** Validates one answer (see call). */
    function answered(
      method: string,
      route: string,
      path: string,
      expected: number | undefined,
      status: number,
      type: string | null,
      text: string,
    ): unknown {
      const name = `${method} ${route} ${status}`;
      if (expected !== undefined && status !== expected) {
        problems.push(`${method} ${path}: expected ${expected}, answered ${status} ${text}`);
      }
      if (!(type ?? '').startsWith('application/json')) return undefined;
      const body = JSON.parse(text) as unknown;
      const schema =
        doc.paths[route]?.[method.toLowerCase()]?.responses[String(status)]?.content?.['application/json']?.schema;
      if (!schema) {
        problems.push(`${name}: a JSON answer with no JSON schema documented`);
        return body;
      }
      const validate = ajv.compile(forAjv(schema) as Schema);
      if (!validate(body)) problems.push(`${name}: ${JSON.stringify(validate.errors)} in ${text.slice(0, 400)}`);
      validated.add(name);
      return body;
    }

    // Probes and the catalogue.
    for (const route of ['/', '/health', '/health/live', '/health/ready', '/catalogue']) {
      await call('GET', route, route, { expect: 200 });
    }

    // Records: one whose content must be uploaded, then held; a symlink; a batch; listings, one paged.
    const hello = fileRecord();
    const link = fileRecord({ filepath: '/srv/link', is_symlink: true, link_target: '/srv/target' });
    const other = fileRecord({ filepath: '/srv/other', sha256: sha256Of('other'), file_size: 5 });
    await call('POST', '/put_file', '/put_file', { json: hello, expect: 201 });
    await call('POST', '/put_file', '/put_file', { json: link, expect: 201 });
    await call('POST', '/put_files', '/put_files', { json: { files: [other, hello] }, expect: 200 });
    const form = new FormData();
    form.append('file', new Blob(['hello']), 'f.bin');
    const query = new URLSearchParams({ hostname: hello.hostname, filepath: hello.filepath });
    await call('POST', '/upload_file/{sha256}', `/upload_file/${hello.sha256}?${query}`, { body: form, expect: 200 });
    const content = (sha: string) => `/files/${sha}/content`;
    const octets = { 'content-type': 'application/octet-stream' };
    await call('PUT', '/files/{sha256}/content', content(other.sha256), {
      body: 'other',
      headers: octets,
      expect: 200,
    });
    await call('PUT', '/files/{sha256}/content', content(other.sha256), {
      body: 'other',
      headers: octets,
      expect: 200,
    });
    await call('POST', '/put_file', '/put_file', { json: { ...hello, filepath: '/held' }, expect: 201 });
    await call('GET', '/get_file/{sha256}', `/get_file/${hello.sha256}`, { expect: 200 });
    await call('GET', '/catalogue', `/catalogue?hostname=${hello.hostname}`, { expect: 200 });
    await call('GET', '/get_file/{sha256}', `/get_file/${other.sha256}`, { expect: 200 });
    const page = (await call('GET', '/files', `/files?hostname=${hello.hostname}&limit=1`, { expect: 200 })) as {
      items: { _id: string }[];
      next_cursor: string | null;
    };
    expect(page.next_cursor).not.toBeNull();
    await call('GET', '/files', `/files?sha256=${hello.sha256}&path_prefix=/`, { expect: 200 });
    const id = page.items[0]!._id;
    await call('GET', '/files/{id}', `/files/${id}`, { expect: 200 });
    await call('POST', '/files/{sha256}/share', `/files/${hello.sha256}/share`, { json: {}, expect: 201 });
    await call('POST', '/files/{sha256}/share', `/files/${other.sha256}/share`, {
      json: { expires_in: 60 },
      expect: 201,
    });

    // API keys: with and without a description, scopes and a rate limit.
    const created = (await call('POST', '/api_keys', '/api_keys', { json: { name: 'plain' }, expect: 201 })) as {
      _id: string;
    };
    await call('POST', '/api_keys', '/api_keys', {
      json: { name: 'full', description: 'd', scopes: ['read'], rate_limit_per_minute: 5 },
      expect: 201,
    });
    await call('POST', '/api_keys', '/api_keys', { json: { name: 'nulls', description: null }, expect: 201 });
    await call('GET', '/api_keys', '/api_keys', { expect: 200 });
    await call('PUT', '/api_keys/{id}/revoke', `/api_keys/${created._id}/revoke`, { expect: 200 });
    await call('DELETE', '/api_keys/{id}', `/api_keys/${created._id}`, { expect: 200 });

    // Administration: a verify of named hashes and of all, a dry and a real gc.
    await call('POST', '/admin/verify', '/admin/verify', { json: { sha256: [hello.sha256] }, expect: 200 });
    await call('POST', '/admin/verify', '/admin/verify', { json: { repair: true }, expect: 200 });
    await call('POST', '/admin/gc', '/admin/gc', { json: { dry_run: true }, expect: 200 });
    await call('DELETE', '/files/{id}', `/files/${id}`, { expect: 200 });
    await call('POST', '/admin/gc', '/admin/gc', { json: { grace_seconds: 0 }, expect: 200 });

    // The JSON error answers.
    const absent = sha256Of('absent');
    await call('GET', '/get_file/{sha256}', `/get_file/${absent}`, { expect: 404 });
    await call('GET', '/get_file/{sha256}', '/get_file/nothex', { expect: 400 });
    await call('GET', '/files', '/files?sha256=nothex', { expect: 400 });
    await call('GET', '/files', '/files?hostname=', { expect: 400 });
    await call('GET', '/files/{id}', `/files/${'0'.repeat(24)}`, { expect: 404 });
    await call('GET', '/catalogue', '/catalogue', { headers: { 'x-api-key': '' }, expect: 401 });
    await call('POST', '/put_file', '/put_file', { json: { ...hello, extra: 1 }, expect: 400 });
    await call('POST', '/put_files', '/put_files', {
      json: { files: [hello, { ...other, file_size: -1 }] },
      expect: 400,
    });
    await call('POST', '/api_keys', '/api_keys', { json: { name: 'none', scopes: [] }, expect: 400 });
    await call('POST', '/put_file', '/put_file', {
      body: JSON.stringify({ filepath: 'x'.repeat(MAX_JSON) }),
      headers: { 'content-type': 'application/json' },
      expect: 413,
    });
    await call('POST', '/put_file', '/put_file', {
      body: 'text',
      headers: { 'content-type': 'text/plain' },
      expect: 415,
    });
    // A JSON body that stalls (half of it sent, then nothing for bodyIdleTimeoutMs): 408, over a raw connection.
    const stalled = await RawConnection.open(server.url);
    const half = JSON.stringify(hello).slice(0, 20);
    await stalled.write(
      rawRequest(
        'POST',
        '/put_file',
        { 'X-API-Key': server.key, 'Content-Type': 'application/json', 'Content-Length': half.length * 2 },
        half,
      ),
    );
    const timedOut = await stalled.response({ timeoutMs: BODY_IDLE_MS + 5000 });
    stalled.close();
    if (!timedOut) problems.push('POST /put_file with a stalled body: no answer');
    else
      answered(
        'POST',
        '/put_file',
        '/put_file',
        408,
        timedOut.status,
        timedOut.headers['content-type'] ?? null,
        timedOut.body,
      );
    await call('GET', '/files/{sha256}/content', content(absent), { expect: 404 });
    await call('GET', '/files/{sha256}/content', `${content(hello.sha256)}?expires=1&signature=00`, {
      headers: { 'x-api-key': '' },
      expect: 403,
    });
    await call('POST', '/files/{sha256}/share', `/files/${absent}/share`, { json: {}, expect: 404 });
    const reader = (await createBootstrapKey(server.store, { name: 'reader', scopes: ['read'] })).apiKey;
    await call('POST', '/admin/gc', '/admin/gc', { json: {}, headers: { 'x-api-key': reader }, expect: 403 });
    await inOneRateWindow();
    const limited = (await createBootstrapKey(server.store, { name: 'limited', rateLimitPerMinute: 1 })).apiKey;
    await call('GET', '/catalogue', '/catalogue', { headers: { 'x-api-key': limited }, expect: 200 });
    await call('GET', '/catalogue', '/catalogue', { headers: { 'x-api-key': limited }, expect: 429 });

    // Every documented JSON success answer was produced and validated.
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          const name = `${method.toUpperCase()} ${path} ${status}`;
          if (/^2/.test(status) && response.content?.['application/json'] && !validated.has(name)) {
            problems.push(`${name}: documented, not validated here`);
          }
        }
      }
    }
    for (const status of ['400', '401', '403', '404', '408', '413', '415', '429']) {
      expect([...validated].some((name) => name.endsWith(` ${status}`))).toBe(true);
    }
    expect(problems).toEqual([]);
  });
});
