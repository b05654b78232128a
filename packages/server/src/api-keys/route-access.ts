import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import type { Scope } from '../store/store.js';
import { PUBLIC_ROUTE, PUBLIC_WHEN, REQUIRED_SCOPE, SIGNED_ACCESS } from './auth.decorators.js';

/**
 * What the ApiKeyGuard asks of a route: nothing (public), or a key with one of `scopes`; and whether its handler reads
 * the query (an `@Query()` argument: every such handler validates it, so a parameter it does not take is 400).
 */
export interface RouteFacts {
  public: boolean;
  scopes: Scope[];
  /** A signed URL (`?expires=&signature=`) may stand in for the key. */
  signed: boolean;
  query: boolean;
}

/**
 * The facts of every controller handler of the app, by `Controller_method` (the swagger module's operationId): its
 * access read from the metadata the guard reads (auth.decorators.ts) the way the guard reads it (handler over class; no
 * scope named: admin; @PublicWhen by the app's configuration), and its arguments from Nest's route metadata. Read by
 * the OpenAPI document and by the key check that runs before a body is read (early-key-check.ts).
 */
export function routeFacts(app: INestApplication): Map<string, RouteFacts> {
  return new Map(routeTable(app).map(({ id, facts }) => [id, facts]));
}

/** One Nest route: its handler (`Controller_method`), its facts, and where Fastify serves it. */
export interface RouteEntry {
  id: string;
  facts: RouteFacts;
  /** `GET`, `POST`, …, or `ALL`. */
  method: string;
  /** Fastify's form of the paths (`/files/:sha256/content`), without a global prefix. */
  paths: string[];
}

/** Every handler of the app's controllers (see routeFacts), with its method and paths. */
export function routeTable(app: INestApplication): RouteEntry[] {
  const reflector = app.get(Reflector);
  const config = app.get<DedupConfig>(DEDUP_CONFIG, { strict: false });
  const entries: RouteEntry[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (abstract new (...args: never[]) => unknown) | null | undefined;
      if (!type) continue;
      const prototype = type.prototype as Record<string, unknown>;
      const bases = [Reflect.getMetadata(PATH_METADATA, type) as string | string[] | undefined].flat();
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const own = [Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined].flat();
        const paths = bases.flatMap((base) =>
          own.map(
            (path) =>
              `/${[base ?? '', path ?? '']
                .flatMap((p) => p.split('/'))
                .filter(Boolean)
                .join('/')}`,
          ),
        );
        const targets = [handler, type];
        const when = reflector.getAllAndOverride<keyof DedupConfig | undefined>(PUBLIC_WHEN, targets);
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, type, name) ?? {}) as Record<string, unknown>;
        const facts: RouteFacts = {
          public:
            reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true ||
            (when !== undefined && config[when] === true),
          scopes: reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPE, targets) ?? ['admin'],
          signed: reflector.getAllAndOverride<boolean | undefined>(SIGNED_ACCESS, targets) === true,
          query: Object.keys(args).some((key) => key.startsWith(`${RouteParamtypes.QUERY}:`)),
        };
        entries.push({ id: `${type.name}_${name}`, facts, method: RequestMethod[method], paths });
      }
    }
  }
  return entries;
}
