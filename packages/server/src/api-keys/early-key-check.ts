import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyRecord } from '../store/store.js';
import { ApiKeysService } from './api-keys.service.js';
import { routeTable, type RouteFacts } from './route-access.js';

const CHECKED = Symbol('ufs.keyCheckedEarly');

type Checked = FastifyRequest & { [CHECKED]?: ApiKeyRecord };

/** The key record that the early check (useEarlyKeyCheck) authenticated for `request`, if it did. */
export function keyCheckedEarly(request: object): ApiKeyRecord | undefined {
  return (request as Checked)[CHECKED];
}

/**
 * Authenticates the API key of every request to a route that needs one before its body is read (a Fastify
 * `onRequest` hook: Fastify parses a JSON body before Nest's guards run). A request without a known, active key is
 * answered 401 at once, as the ApiKeyGuard would answer it after the body: nothing of the body is parsed (no JSON
 * parsing for a client that has no key, no `100 Continue`), and a body still arriving is read only as the lingering
 * close reads it (bounded). Which routes need a key comes from the metadata the guard reads (routeTable): not the
 * public ones (`@Public`, `@PublicWhen` when its option is on), nor a `@SignedAccess` route asked with a signed URL's
 * query and no key header (the guard checks the signature). The guard then takes the key record found here instead of
 * reading the key again; scopes and the rate limit (counted once) stay in the guard. Routes Nest did not make (the
 * OpenAPI pages, an unknown route's 404) are left alone, as the guard never sees them either; so are the routes of an
 * app with a global prefix (`setGlobalPrefix`), whose keys the guard still checks, after the body.
 */
export function useEarlyKeyCheck(app: NestFastifyApplication, fastify: FastifyInstance): void {
  // `METHOD /path` as Fastify names the route (`POST /put_file`, `GET /files/:sha256/content`) → the guard's facts.
  let routes: Map<string, RouteFacts> | undefined;
  let keys: ApiKeysService | undefined;
  const table = () => {
    const map = new Map<string, RouteFacts>();
    for (const { method, paths, facts } of routeTable(app)) {
      for (const path of paths) map.set(`${method} ${path}`, facts);
    }
    return map;
  };
  const needsKey = (request: FastifyRequest): boolean => {
    const url = request.routeOptions.url;
    if (url === undefined) return false; // no route: 404
    routes ??= table();
    // Fastify's HEAD route of a GET handler has the GET's access; an @All handler serves every method.
    const route =
      routes.get(`${request.method} ${url}`) ??
      (request.method === 'HEAD' ? routes.get(`GET ${url}`) : undefined) ??
      routes.get(`ALL ${url}`);
    if (!route || route.public) return false;
    if (route.signed && request.headers['x-api-key'] === undefined) {
      const query = (request.query ?? {}) as Record<string, unknown>;
      if (query.signature !== undefined || query.expires !== undefined) return false;
    }
    return true;
  };
  fastify.addHook('onRequest', async (request) => {
    if (!needsKey(request)) return;
    keys ??= app.get(ApiKeysService) as ApiKeysService;
    (request as Checked)[CHECKED] = await keys.authenticate(request.headers['x-api-key']);
  });
}
