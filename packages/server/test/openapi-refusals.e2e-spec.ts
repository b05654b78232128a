import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sha256Of } from './helpers/records.js';
import { routeAccess, type Doc, type DocResponse, type RouteAccess } from './helpers/openapi-routes.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * The refusals of every route's input, provoked with real requests and checked against the OpenAPI document: a 400
 * (a bad path parameter, query or body, as the route takes), a 415 (a body of a Content-Type the route does not take),
 * a 413 (a JSON body over maxJsonBytes) and a 404 (an unknown id) are each answered with the error body and documented
 * with the Error schema; and a route documents a 400 or a 415 only where it answers one.
 */

const MAX_JSON = 4096;
/** Routes that read their body themselves, whatever its Content-Type (a tus PATCH answers its own 415). */
const STREAMED = new Set(['PUT /files/{sha256}/content', 'POST /upload_file/{sha256}', 'PATCH /tus/{id}']);
/** Routes that take any query (README: the probes and tus OPTIONS); every other one refuses a parameter it does not take. */
const anyQuery = (route: RouteAccess) => route.public || route.route === '/metrics';

describe('OpenAPI document: input refusals', () => {
  let server: TestServer;
  let doc: Doc;
  let routes: RouteAccess[];

  beforeAll(async () => {
    server = await startServer({ maxJsonBytes: MAX_JSON });
    doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as Doc;
    routes = routeAccess(server);
  });
  afterAll(async () => server?.close());

  it('documents, with the error body, the 400, 404, 413 and 415 every route answers, and no 400 or 415 it does not', async () => {
    const problems: string[] = [];
    const answered = new Map<string, Set<number>>();

    /**
     * Sends `path` (the route's, its parameters filled in by `params`) to `route`, with `body` as `type` when given;
     * records the answer, checks that it is `expected` (when given) and, for a 4xx, that it is documented.
     */
    async function probe(
      route: RouteAccess,
      why: string,
      options: { params?: Record<string, string>; query?: string; body?: string; type?: string; expected?: number },
    ) {
      const params: Record<string, string> = { sha256: sha256Of('absent'), id: '0'.repeat(24), ...options.params };
      const path = route.route.replace(/\{(\w+)\}/g, (_all, name: string) => params[name] ?? name);
      const headers: Record<string, string> = { 'x-api-key': server.key };
      if (route.route.startsWith('/tus')) headers['tus-resumable'] = '1.0.0';
      if (route.method === 'PATCH') {
        headers['upload-offset'] = '0';
        headers['content-type'] = 'application/offset+octet-stream';
      }
      if (options.type) headers['content-type'] = options.type;
      const response = await fetch(`${server.url}${path}${options.query ? `?${options.query}` : ''}`, {
        method: route.method,
        headers,
        ...(options.body !== undefined && { body: options.body }),
      });
      const text = await response.text();
      const name = `${route.method} ${route.route} (${why})`;
      const key = `${route.method} ${route.route}`;
      if (!answered.has(key)) answered.set(key, new Set());
      answered.get(key)!.add(response.status);
      if (options.expected !== undefined && response.status !== options.expected) {
        problems.push(`${name}: expected ${options.expected}, answered ${response.status} ${text.slice(0, 200)}`);
      }
      if (response.status < 400 || response.status >= 500) return;
      const documented = doc.paths[route.route]?.[route.method.toLowerCase()]?.responses[String(response.status)] as
        DocResponse | undefined;
      if (!documented) {
        problems.push(`${name}: answered ${response.status}, not documented (${text.slice(0, 120)})`);
        return;
      }
      if (route.method === 'HEAD') return; // no body, and none documented
      const body = JSON.parse(text) as Record<string, unknown>;
      const keys = Object.keys(body).filter((k) => k !== 'record');
      if (keys.sort().join() !== 'code,detail,retryable') problems.push(`${name}: error body ${text}`);
      if (documented.content?.['application/json']?.schema?.$ref !== '#/components/schemas/Error') {
        problems.push(`${name}: ${response.status} documented without the Error schema`);
      }
    }

    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      const key = `${route.method} ${route.route}`;
      // A bad path parameter: any over 100 characters (Fastify's maxParamLength), a hash that is not one.
      if (route.route.includes('{')) {
        const long = 'a'.repeat(101);
        await probe(route, 'path parameter too long', { params: { sha256: long, id: long }, expected: 400 });
      }
      if (route.route.includes('{sha256}')) {
        await probe(route, 'bad hash', { params: { sha256: 'XYZ' }, expected: 400 });
      }
      // A query parameter the route does not take.
      await probe(route, 'unknown query parameter', {
        query: 'colour=red',
        ...(!anyQuery(route) && { expected: 400 }),
      });
      // An unknown id.
      if (route.route.includes('{id}') && !route.public) await probe(route, 'unknown id', { expected: 404 });
      if (['GET', 'HEAD'].includes(route.method)) continue; // no body is read
      const parsed = !STREAMED.has(key);
      await probe(route, 'malformed JSON body', {
        body: '{"a":',
        type: 'application/json',
        ...(parsed && { expected: 400 }),
      });
      await probe(route, 'JSON body over maxJsonBytes', {
        body: JSON.stringify({ a: 'x'.repeat(MAX_JSON) }),
        type: 'application/json',
        ...(parsed && { expected: 413 }),
      });
      await probe(route, 'text/plain body', {
        body: 'hello',
        type: 'text/plain',
        ...((parsed || route.method === 'PATCH') && { expected: 415 }),
      });
      // Whatever they answer now, a 415 must be documented (a form body is to be 415 too).
      await probe(route, 'XML body', { body: '<a/>', type: 'application/xml' });
      await probe(route, 'form body', { body: 'name=k', type: 'application/x-www-form-urlencoded' });
    }
    // The table of the black-box test that found these undocumented.
    const files = routes.find((r) => r.method === 'GET' && r.route === '/files')!;
    for (const query of ['limit=0', 'limit=1e2', 'cursor=not-a-cursor', 'sha256=XYZ']) {
      await probe(files, query, { query, expected: 400 });
    }

    // The converse: a 400 or 415 is documented only where one of these requests got it.
    for (const route of routes) {
      const responses = doc.paths[route.route]?.[route.method.toLowerCase()]?.responses ?? {};
      const seen = answered.get(`${route.method} ${route.route}`) ?? new Set();
      for (const status of [400, 415]) {
        if (String(status) in responses && !seen.has(status)) {
          problems.push(`${route.method} ${route.route}: documents ${status}, never answered it here`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps the words of a refusal a route documents itself, and adds the derived ones', () => {
    const responses = (route: string, method: string) =>
      doc.paths[route]![method]!.responses as Record<string, { description: string }>;
    // put_files' own 400 and 413 (one bad record, maxBatch) come first; the derived causes follow.
    expect(responses('/put_files', 'post')['400']!.description).toMatch(
      /^A bad batch, or one bad record: then `record` is its index in `files`; or a query parameter .*; a body that is not valid JSON/,
    );
    expect(responses('/get_file/{sha256}', 'get')['400']!.description).toMatch(
      /^bad input \(INVALID_INPUT\): a sha256 in the path that is not 64 lowercase hex characters; /,
    );
    expect(responses('/put_files', 'post')['413']!.description).toMatch(/^more records than .*; or .*maxJsonBytes/);
    expect(responses('/api_keys/{id}', 'delete')['404']!.description).toBe('no API key with that id');
    // A route that streams its body claims no 415 of the JSON parser; a tus PATCH keeps only its own.
    expect(responses('/files/{sha256}/content', 'put')['415']).toBeUndefined();
    expect(responses('/tus/{id}', 'patch')['415']!.description).toBe(
      'Content-Type is not application/offset+octet-stream',
    );
    // The probes answer whatever the query, and take no body.
    for (const route of ['/', '/health', '/health/live', '/health/ready', '/metrics']) {
      expect(
        Object.keys(responses(route, 'get')).filter((s) => s.startsWith('4') && !['401', '403', '429'].includes(s)),
      ).toEqual([]);
    }
  });
});
