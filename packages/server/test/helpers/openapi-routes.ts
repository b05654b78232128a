import { expect } from '@jest/globals';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { PUBLIC_ROUTE, PUBLIC_WHEN, REQUIRED_SCOPE } from '../../src/api-keys/auth.decorators.js';
import type { Scope } from '../../src/index.js';
import type { TestServer } from './server.js';

/** The OpenAPI document as the tests read it (`/openapi.json`), and the routes of the server it documents. */

export interface Operation {
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content?: Record<string, unknown> };
  responses: Record<string, unknown>;
  security?: unknown[];
}
export interface DocResponse {
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: { $ref?: string } }>;
}
export type Doc = { paths: Record<string, Record<string, Operation>> };

/** What a route asks of a request, from the metadata the ApiKeyGuard reads: no key (public), or one of `scopes`. */
export interface RouteAccess {
  method: string;
  route: string;
  public: boolean;
  scopes: Scope[];
}

/**
 * Every route of the Nest controllers, named as the swagger module documents it (`/files/{sha256}/content`), with its
 * access (the handler's metadata over its class's, as the guard reads it; no scope named: admin).
 */
export function routeAccess(server: TestServer): RouteAccess[] {
  const access = new Map<string, RouteAccess>();
  for (const module of server.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!type) continue;
      const bases = [Reflect.getMetadata(PATH_METADATA, type) as string | string[]].flat();
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const handler = (type.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (method === undefined || paths === undefined) continue;
        const meta = (key: string) =>
          (Reflect.getMetadata(key, handler) as unknown) ?? (Reflect.getMetadata(key, type) as unknown);
        // @PublicWhen('publicMetrics'): off in this test's server, so the route needs a key.
        expect(meta(PUBLIC_WHEN) === undefined || meta(PUBLIC_WHEN) === 'publicMetrics').toBe(true);
        for (const base of bases) {
          for (const path of [paths].flat()) {
            const route = `/${[base ?? '', path]
              .flatMap((p) => p.split('/'))
              .filter(Boolean)
              .join('/')}`;
            const entry: RouteAccess = {
              method: RequestMethod[method],
              route: route.replace(/:(\w+)/g, '{$1}'),
              public: meta(PUBLIC_ROUTE) === true,
              scopes: (meta(REQUIRED_SCOPE) as Scope[] | undefined) ?? ['admin'],
            };
            access.set(`${entry.method} ${entry.route}`, entry);
          }
        }
      }
    }
  }
  return [...access.values()];
}

/** The routes of the Nest controllers, as `METHOD /path/{param}` (what the swagger module documents). */
export function controllerRoutes(server: TestServer): string[] {
  return routeAccess(server)
    .map((r) => `${r.method} ${r.route}`)
    .sort();
}
