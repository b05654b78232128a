import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBootstrapKey, generateApiKey, SCOPES, type Scope } from '../src/index.js';
import {
  controllerRoutes,
  routeAccess,
  type Doc,
  type DocResponse,
  type Operation,
  type RouteAccess,
} from './helpers/openapi-routes.js';
import { fileRecord, sha256Of } from './helpers/records.js';
import { inOneRateWindow, startServer, type TestServer } from './helpers/server.js';

/**
 * The OpenAPI document checked against the routes the server really has and what they really answer, so that it
 * cannot drift: every route is documented, every route's documented success statuses are exactly those it answers,
 * every query parameter a route needs is documented as required, and every body a route takes is documented.
 */

/** One request that succeeds (or answers another documented status, such as 304) on a route. */
interface Call {
  method: string;
  /** The route as the document names it (`/files/{sha256}/content`). */
  route: string;
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  form?: () => FormData;
  raw?: string;
  headers?: Record<string, string>;
}

describe('OpenAPI document', () => {
  let server: TestServer;
  let doc: Doc;
  const answered = new Map<string, Set<number>>();

  beforeAll(async () => {
    server = await startServer();
    doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as Doc;
  });
  afterAll(async () => server?.close());

  const operation = (method: string, route: string): Operation | undefined => doc.paths[route]?.[method.toLowerCase()];

  async function send(call: Call, query = call.query) {
    const q = query && Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
    const headers: Record<string, string> = { 'x-api-key': server.key, ...call.headers };
    if (headers['x-api-key'] === '') delete headers['x-api-key']; // a signed URL: no key
    let body: string | FormData | undefined;
    if (call.json !== undefined) {
      body = JSON.stringify(call.json);
      headers['content-type'] = 'application/json';
    } else if (call.form) body = call.form();
    else if (call.raw !== undefined) body = call.raw;
    const response = await fetch(`${server.url}${call.path}${q}`, {
      method: call.method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  }

  /** Sends a call, records its status for its route, and checks its query parameters and body against the doc. */
  async function run(call: Call, problems: string[]) {
    const key = `${call.method} ${call.route}`;
    const op = operation(call.method, call.route);
    const result = await send(call);
    if (!answered.has(key)) answered.set(key, new Set());
    answered.get(key)!.add(result.status);
    if (!op) {
      problems.push(`${key}: not in the document`);
      return result;
    }
    if (!(String(result.status) in op.responses)) {
      problems.push(`${key}: answered ${result.status}, documented ${Object.keys(op.responses).join(', ')}`);
    }
    const documented = new Map((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));
    for (const name of Object.keys(call.query ?? {})) {
      if (!documented.has(name)) problems.push(`${key}: query parameter "${name}" is not documented`);
      // Without it: a 400 naming it says it is required.
      const { [name]: _dropped, ...rest } = call.query!;
      const without = await send(call, rest);
      const required = without.status === 400 && without.text.includes(name);
      if (required && documented.get(name)?.required !== true) {
        problems.push(`${key}: query parameter "${name}" is required but not documented as required`);
      }
      if (!required && documented.get(name)?.required === true) {
        problems.push(`${key}: query parameter "${name}" is documented as required but is not`);
      }
    }
    for (const p of documented.values()) {
      if (p.required && !(p.name in (call.query ?? {}))) {
        problems.push(`${key}: documented required query parameter "${p.name}" was not needed`);
      }
    }
    const hasBody = call.json !== undefined || call.form !== undefined || call.raw !== undefined;
    if (hasBody && !op.requestBody) problems.push(`${key}: takes a body, none documented`);
    if (call.form && !op.requestBody?.content?.['multipart/form-data']) {
      problems.push(`${key}: takes a multipart body, not documented as multipart/form-data`);
    }
    return result;
  }

  /**
   * The refusals of the tus routes, each called for real (and checked to answer the status it is there for), so that
   * run() finds every one documented. `at`: an upload of 4 bytes of sha256("tus!") at offset 2.
   */
  async function tusRefusals(at: string, tusMeta: string, problems: string[]) {
    const tus = { 'tus-resumable': '1.0.0' };
    const patch = { ...tus, 'content-type': 'application/offset+octet-stream' };
    const unknown = `/tus/${'0'.repeat(32)}`;
    const expectStatus = async (call: Call, status: number) => {
      const result = await run(call, problems);
      if (result.status !== status) {
        problems.push(`${call.method} ${call.path}: expected ${status} here, answered ${result.status}`);
      }
      return result;
    };
    const create = (headers: Record<string, string>) =>
      run({ method: 'POST', route: '/tus', path: '/tus', headers: { ...tus, ...headers } }, problems);
    const post = (headers: Record<string, string>): Call => ({ method: 'POST', route: '/tus', path: '/tus', headers });
    const big = String(Number.MAX_SAFE_INTEGER);
    await expectStatus(post({ ...tus, 'upload-length': big, 'upload-metadata': tusMeta }), 413);
    await expectStatus(post({ ...tus, 'upload-length': '4' }), 400);
    await expectStatus(post({ 'tus-resumable': '0.2.2', 'upload-length': '4', 'upload-metadata': tusMeta }), 412);

    const head = (path: string, headers = tus): Call => ({ method: 'HEAD', route: '/tus/{id}', path, headers });
    await expectStatus(head(unknown), 404);
    await expectStatus(head(at, { 'tus-resumable': '0.2.2' }), 412);
    await expectStatus(head(`${at}?x=1`), 400);

    const patchCall = (path: string, raw: string, headers: Record<string, string>): Call => ({
      method: 'PATCH',
      route: '/tus/{id}',
      path,
      raw,
      headers,
    });
    await expectStatus(patchCall(unknown, 's!', { ...patch, 'upload-offset': '2' }), 404);
    await expectStatus(patchCall(at, 's!', { ...patch, 'upload-offset': '0' }), 409);
    await expectStatus(patchCall(at, 's!', { ...patch, 'upload-offset': 'two' }), 400);
    await expectStatus(patchCall(at, 's!', { ...patch, 'upload-offset': '2', 'tus-resumable': '0.2.2' }), 412);
    await expectStatus(patchCall(at, 'tus!', { ...patch, 'upload-offset': '2' }), 413);
    await expectStatus(patchCall(at, 's!', { ...tus, 'content-type': 'text/plain', 'upload-offset': '2' }), 415);
    const wrongSha1 = Buffer.alloc(20).toString('base64');
    await expectStatus(
      patchCall(at, 's!', { ...patch, 'upload-offset': '2', 'upload-checksum': `sha1 ${wrongSha1}` }),
      460,
    );

    // On the last byte: bytes of another hash (460), a size no record of the hash declares (400), another request
    // finishing the upload (503 to the PATCH and to a HEAD, until it is done).
    const wrong = await create({ 'upload-length': '4', 'upload-metadata': tusMeta });
    await expectStatus(patchCall(wrong.headers.get('location')!, 'nope', { ...patch, 'upload-offset': '0' }), 460);
    const sized = sha256Of('sized');
    const late = await create({
      'upload-length': '5',
      'upload-metadata': `sha256 ${Buffer.from(sized).toString('base64')}`,
    });
    // A record of another size, put after the creation.
    const record = fileRecord({ hostname: 'openapi', filepath: '/sized', sha256: sized, file_size: 6 });
    const put = await send({ method: 'POST', route: '/put_file', path: '/put_file', json: record });
    expect(put.status).toBe(201);
    await expectStatus(patchCall(late.headers.get('location')!, 'sized', { ...patch, 'upload-offset': '0' }), 400);
    const held = await create({ 'upload-length': '4', 'upload-metadata': tusMeta });
    const location = held.headers.get('location')!;
    const lease = `tus-finish:${location.split('/').pop()!}`;
    expect(await server.store.claimLease(lease, 'openapi', new Date(Date.now() + 60_000), new Date())).toBe(true);
    try {
      const busy = await expectStatus(patchCall(location, 'tus!', { ...patch, 'upload-offset': '0' }), 503);
      expect(busy.headers.get('retry-after')).toBe('1');
      await expectStatus(head(location), 503);
    } finally {
      await server.store.releaseLease(lease, 'openapi');
    }
    await expectStatus(head(location), 200);

    const remove = (path: string, headers = tus): Call => ({ method: 'DELETE', route: '/tus/{id}', path, headers });
    await expectStatus(remove(unknown), 404);
    await expectStatus(remove(at, { 'tus-resumable': '0.2.2' }), 412);
    await expectStatus(remove(`${at}?x=1`), 400);
  }

  it('documents every route with the statuses it answers, its required query parameters and its body', async () => {
    const problems: string[] = [];
    const hello = fileRecord();
    const other = fileRecord({ filepath: '/srv/other', sha256: sha256Of('other'), file_size: 5 });
    const content = `/files/${hello.sha256}/content`;
    const tus = { 'tus-resumable': '1.0.0' };
    const tusMeta = `sha256 ${Buffer.from(sha256Of('tus!')).toString('base64')}`;

    for (const route of ['/', '/health', '/health/live', '/health/ready', '/metrics', '/catalogue']) {
      await run({ method: 'GET', route, path: route }, problems);
    }
    await run({ method: 'POST', route: '/put_file', path: '/put_file', json: hello }, problems);
    await run({ method: 'POST', route: '/put_files', path: '/put_files', json: { files: [other] } }, problems);
    await run(
      {
        method: 'POST',
        route: '/upload_file/{sha256}',
        path: `/upload_file/${hello.sha256}`,
        query: { hostname: hello.hostname, filepath: hello.filepath },
        form: () => {
          const form = new FormData();
          form.append('file', new Blob(['hello']), 'f.bin');
          return form;
        },
      },
      problems,
    );
    await run(
      {
        method: 'PUT',
        route: '/files/{sha256}/content',
        path: `/files/${other.sha256}/content`,
        raw: 'other',
        headers: { 'content-type': 'application/octet-stream' },
      },
      problems,
    );
    await run({ method: 'GET', route: '/get_file/{sha256}', path: `/get_file/${hello.sha256}` }, problems);
    const list = await run(
      { method: 'GET', route: '/files', path: '/files', query: { hostname: hello.hostname, limit: '10' } },
      problems,
    );
    const id = (JSON.parse(list.text) as { items: { _id: string }[] }).items[0]!._id;
    await run({ method: 'GET', route: '/files/{id}', path: `/files/${id}` }, problems);
    for (const method of ['GET', 'HEAD']) {
      const route = '/files/{sha256}/content';
      await run({ method, route, path: content }, problems);
      await run({ method, route, path: content, headers: { range: 'bytes=0-1' } }, problems);
      await run({ method, route, path: content, headers: { 'if-none-match': `"${hello.sha256}"` } }, problems);
    }
    const share = await run(
      { method: 'POST', route: '/files/{sha256}/share', path: `/files/${hello.sha256}/share`, json: {} },
      problems,
    );
    const signed = new URL(`http://x${(JSON.parse(share.text) as { url: string }).url}`);
    await run(
      {
        method: 'GET',
        route: '/files/{sha256}/content',
        path: content,
        query: Object.fromEntries(signed.searchParams),
        headers: { 'x-api-key': '' },
      },
      problems,
    );

    const created = await run({ method: 'POST', route: '/api_keys', path: '/api_keys', json: { name: 'k' } }, problems);
    const keyId = (JSON.parse(created.text) as { _id: string })._id;
    await run({ method: 'GET', route: '/api_keys', path: '/api_keys' }, problems);
    await run({ method: 'PUT', route: '/api_keys/{id}/revoke', path: `/api_keys/${keyId}/revoke` }, problems);
    await run({ method: 'DELETE', route: '/api_keys/{id}', path: `/api_keys/${keyId}` }, problems);

    const upload = await run(
      {
        method: 'POST',
        route: '/tus',
        path: '/tus',
        headers: { ...tus, 'upload-length': '4', 'upload-metadata': tusMeta },
      },
      problems,
    );
    const at = upload.headers.get('location')!;
    await run({ method: 'OPTIONS', route: '/tus', path: '/tus' }, problems);
    await run({ method: 'OPTIONS', route: '/tus/{id}', path: at }, problems);
    await run({ method: 'HEAD', route: '/tus/{id}', path: at, headers: tus }, problems);
    await run(
      {
        method: 'PATCH',
        route: '/tus/{id}',
        path: at,
        raw: 'tu',
        headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      },
      problems,
    );
    await tusRefusals(at, tusMeta, problems);
    await run({ method: 'DELETE', route: '/tus/{id}', path: at, headers: tus }, problems);

    await run({ method: 'POST', route: '/admin/gc', path: '/admin/gc', json: { dry_run: true } }, problems);
    await run({ method: 'POST', route: '/admin/verify', path: '/admin/verify', json: { repair: false } }, problems);
    await run({ method: 'DELETE', route: '/files/{id}', path: `/files/${id}` }, problems);

    // Every route was called (a new route needs a call here), and its documented 2xx are exactly what it answered.
    const routes = controllerRoutes(server);
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const op = operation(method, path);
      if (!op) problems.push(`${route}: not in the document`);
      const seen = answered.get(route);
      if (!seen) {
        problems.push(`${route}: no call in this test`);
        continue;
      }
      const documented2xx = Object.keys(op?.responses ?? {}).filter((s) => /^2\d\d$/.test(s));
      const seen2xx = [...seen].filter((s) => s >= 200 && s < 300).map(String);
      if (documented2xx.sort().join() !== seen2xx.sort().join()) {
        problems.push(`${route}: documents success ${documented2xx.join(', ')}, answers ${seen2xx.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents the refusals of the key check on every route (401, 403, 429), and none on a public route', async () => {
    const problems: string[] = [];
    const routes = routeAccess(server);
    const pathOf = (route: string) => route.replace('{sha256}', sha256Of('absent')).replace('{id}', '0'.repeat(24));
    const keyed = async (name: string, scopes: readonly Scope[], rateLimitPerMinute?: number) =>
      (await createBootstrapKey(server.store, { name, scopes, ...(rateLimitPerMinute && { rateLimitPerMinute }) }))
        .apiKey;
    const single = Object.fromEntries(
      await Promise.all(SCOPES.map(async (scope) => [scope, await keyed(`only ${scope}`, [scope])] as const)),
    ) as Record<Scope, string>;
    // A revoked key: revoked through the API, as an administrator does it.
    const created = await fetch(`${server.url}/api_keys`, {
      method: 'POST',
      headers: { 'x-api-key': server.key, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'to revoke' }),
    });
    const { _id: revokedId, api_key: revoked } = (await created.json()) as { _id: string; api_key: string };
    const revoke = await fetch(`${server.url}/api_keys/${revokedId}/revoke`, {
      method: 'PUT',
      headers: { 'x-api-key': server.key },
    });
    expect(revoke.status).toBe(200);

    /** Sends `route` with `key` (none when undefined); checks the status and that the document lists the answer. */
    async function probe(route: RouteAccess, key: string | undefined, status: number, why: string) {
      const response = await fetch(`${server.url}${pathOf(route.route)}`, {
        method: route.method,
        headers: key === undefined ? {} : { 'x-api-key': key },
      });
      const text = await response.text();
      const name = `${route.method} ${route.route} (${why})`;
      if (response.status !== status) {
        problems.push(`${name}: expected ${status}, answered ${response.status} ${text}`);
        return;
      }
      const documented = operation(route.method, route.route)?.responses[String(status)] as DocResponse | undefined;
      if (!documented) {
        problems.push(`${name}: answered ${status}, not documented`);
        return;
      }
      if (route.method !== 'HEAD') {
        const body = JSON.parse(text) as Record<string, unknown>;
        expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'retryable']);
        const schema = documented.content?.['application/json']?.schema?.$ref;
        if (schema !== '#/components/schemas/Error') problems.push(`${name}: ${status} without the Error schema`);
      }
      const headers = Object.keys(documented.headers ?? {}).map((h) => h.toLowerCase());
      for (const sent of ['www-authenticate', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining']) {
        if (response.headers.has(sent) && !headers.includes(sent)) {
          problems.push(`${name}: ${status} sends ${sent}, not documented`);
        }
      }
    }

    // 429 first, in one rate window: a key limited to 1 request a minute, spent on one request, is refused on
    // every route that needs a key.
    await inOneRateWindow();
    const limited = await keyed('limited', SCOPES, 1);
    const spent = await fetch(`${server.url}/catalogue`, { headers: { 'x-api-key': limited } });
    expect(spent.status).toBe(200);
    let limitedRoutes = 0;
    for (const route of routes.filter((r) => !r.public)) {
      await probe(route, limited, 429, 'over the rate limit');
      limitedRoutes++;
    }
    expect(limitedRoutes).toBeGreaterThan(20);

    for (const route of routes) {
      const op = operation(route.method, route.route);
      if (route.public) {
        // The guard lets it through whatever the key: it never answers 401 or 403, and claims no security.
        for (const key of [undefined, 'nope', revoked]) {
          const response = await fetch(`${server.url}${pathOf(route.route)}`, {
            method: route.method,
            headers: key === undefined ? {} : { 'x-api-key': key },
          });
          await response.arrayBuffer();
          if ([401, 403].includes(response.status)) {
            problems.push(`public ${route.method} ${route.route}: answered ${response.status}`);
          }
        }
        for (const status of ['401', '403', '429']) {
          if (op && status in op.responses) problems.push(`public ${route.method} ${route.route}: claims ${status}`);
        }
        if (op?.security?.length) problems.push(`public ${route.method} ${route.route}: claims a security scheme`);
        continue;
      }
      await probe(route, undefined, 401, 'no key');
      await probe(route, 'nope', 401, 'malformed key');
      await probe(route, generateApiKey(), 401, 'unknown key');
      await probe(route, revoked, 401, 'revoked key');
      // A key with each scope the route does not take: 403.
      const lacking = SCOPES.filter((scope) => !route.scopes.includes(scope));
      expect(lacking.length).toBeGreaterThan(0);
      for (const scope of lacking) await probe(route, single[scope], 403, `a "${scope}"-only key`);
      // 503 (a store or mount that fails) is provoked by mount-faults.e2e-spec.ts and readiness-store.e2e-spec.ts.
      const unavailable = op?.responses['503'] as DocResponse | undefined;
      if (!unavailable?.headers?.['Retry-After']) {
        problems.push(`${route.method} ${route.route}: 503 with Retry-After not documented`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('with publicMetrics, documents /metrics as public: no key needed, so no 401, 403 or 429', async () => {
    const open = await startServer({ publicMetrics: true });
    try {
      expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
      const scrape = ((await (await fetch(`${open.url}/openapi.json`)).json()) as Doc).paths['/metrics']?.get;
      expect(Object.keys(scrape?.responses ?? {})).toEqual(['200']);
      expect(scrape?.security).toBeUndefined();
    } finally {
      await open.close();
    }
  });

  it('gives every 200 or 201 answer with a JSON body a schema', () => {
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (['head', 'options'].includes(method) || path === '/metrics' || path.endsWith('/content')) continue;
        if (method === 'patch' || path.startsWith('/tus')) continue;
        for (const status of ['200', '201']) {
          const response = op.responses[status] as { content?: Record<string, { schema?: unknown }> } | undefined;
          if (response && !response.content?.['application/json']?.schema) missing.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
