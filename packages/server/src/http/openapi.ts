import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { fileMetadataSchema } from '@org/core/dedup-schema';
import { z } from 'zod';
import { listQuerySchema, uploadQuerySchema } from '../files/dto/file-input.js';
import { shareRequestSchema, shareResponseSchema } from '../signing/signed-urls.js';
import { catalogueQuerySchema, catalogueResponseSchema } from '../store/catalogue-epoch.js';
import { readinessReportSchema } from '../health/readiness-report.js';
import { routeFacts, type RouteFacts } from '../api-keys/route-access.js';
import { documentToOpenApi30 } from './openapi-30.js';

type JsonSchema = Record<string, unknown>;

/** An OpenAPI 3.0 Schema Object of a zod schema (see openapi-30.ts for why 3.0). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, target: 'openapi-3.0' }) as JsonSchema;
  return rest;
}

const dateTime = { type: 'string', format: 'date-time' };

/**
 * A record as the server answers it: the fields of FileMetadata as stored (the defaults applied, so `is_symlink` and
 * `link_target` always there) and the server's own. Not `allOf` FileMetadata: that is the request body, which refuses
 * any other field (`additionalProperties: false`), so no answer could match it.
 */
function fileMetadataResponse(): JsonSchema {
  const stored = jsonSchema(fileMetadataSchema, 'output') as {
    properties: Record<string, JsonSchema>;
    required: string[];
  };
  const properties = Object.fromEntries(
    Object.entries(stored.properties).map(([name, { default: _default, ...property }]) => [name, property]),
  );
  return {
    type: 'object',
    required: ['_id', ...stored.required, 'has_file_content', 'file_uploaded_at', 'created_at'],
    properties: {
      _id: { type: 'string' },
      ...properties,
      has_file_content: { type: 'boolean', description: 'the server holds the content of this hash' },
      file_uploaded_at: { ...dateTime, nullable: true, description: 'when the content arrived; null if it has not' },
      created_at: dateTime,
      updated_at: dateTime,
    },
  };
}

/** Component schemas generated from the zod schemas the server validates with (one source of truth). */
function componentSchemas(): Record<string, JsonSchema> {
  return {
    FileMetadata: jsonSchema(fileMetadataSchema, 'input'),
    FileMetadataResponse: fileMetadataResponse(),
    FileMetadataUploadResponse: {
      allOf: [
        { $ref: '#/components/schemas/FileMetadataResponse' },
        {
          type: 'object',
          required: ['upload_required', 'upload_url'],
          properties: {
            upload_required: { type: 'boolean' },
            upload_url: { type: 'string', nullable: true, description: 'where to upload the content; null if held' },
          },
        },
      ],
    },
    // The server's createKeySchema (api-keys.controller.ts): strict, so an unknown field is refused.
    ApiKeyCreate: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: {
          type: 'string',
          minLength: 1,
          maxLength: 100,
          // keyNameProblem (@org/core): no control characters (C0, DEL, C1), not only whitespace.
          pattern: '^(?=.*\\S)[^\\u0000-\\u001f\\u007f-\\u009f]+$',
          description: '1 to 100 characters, not only whitespace, no control characters',
        },
        description: { type: 'string', nullable: true, maxLength: 1000 },
        scopes: {
          type: 'array',
          minItems: 1,
          maxItems: 3,
          items: { type: 'string', enum: ['read', 'write', 'admin'] },
          description: 'default ["read", "write"]; at most the scopes of the key that creates it',
        },
        rate_limit_per_minute: { type: 'integer', nullable: true, minimum: 1, maximum: 10_000_000 },
      },
    },
    ShareRequest: jsonSchema(shareRequestSchema, 'input'),
    ShareResponse: jsonSchema(shareResponseSchema, 'output'),
    Catalogue: jsonSchema(catalogueResponseSchema, 'output'),
    Readiness: jsonSchema(readinessReportSchema, 'output'),
    Error: {
      type: 'object',
      required: ['detail', 'code', 'retryable'],
      properties: {
        detail: { type: 'string' },
        code: { type: 'string' },
        retryable: { type: 'boolean' },
        record: {
          type: 'integer',
          minimum: 0,
          description: 'POST /put_files refused because of one record: its index in `files` (the first bad one)',
        },
      },
    },
  };
}

/** Serves the OpenAPI document at `/openapi.json` and Swagger UI at `/docs`. */
export function setupOpenApi(app: INestApplication, version: string): void {
  const config = new DocumentBuilder()
    .setTitle('ufs dedup server')
    .setDescription('PutPlace-compatible file catalogue with content dedup, tus uploads, GC and verify')
    .setVersion(version)
    .addApiKey({ type: 'apiKey', name: 'X-API-Key', in: 'header' }, 'api-key')
    .build();
  const handlers = new Map<string, string>();
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: operationIds(handlers) });
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...componentSchemas() } };
  addCommonResponses(document, handlers, routeFacts(app));
  addParameterSchemas(document);
  documentToOpenApi30(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}

/**
 * The swagger module's own operationIds (`Controller_method`, `Controller_method[i]` for the i-th path of a handler
 * with several, `_version` when versioned), noting for each the handler it documents (`Controller_method`).
 */
function operationIds(handlers: Map<string, string>) {
  return (controller: string, methodKey: string, version?: string): string => {
    const base = controller ? `${controller}_${methodKey}` : methodKey;
    const id = version ? `${base}_${version}` : base;
    handlers.set(id, `${controller}_${methodKey.replace(/\[\d+\]$/, '')}`);
    return id;
  };
}

type Response = { description: string; headers?: Record<string, unknown>; content?: Record<string, unknown> };
type Operation = {
  operationId?: string;
  security?: unknown;
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, unknown> };
  responses: Record<string, Response>;
};

const header = (description: string, type = 'string') => ({ description, schema: { type } });
const retryAfter = header('seconds to wait before trying again', 'integer');

/** The answers of the ApiKeyGuard and of a failing store or mount, for a route that needs a key. */
function commonResponses(access: RouteFacts): Record<string, Response> {
  const scopes = access.scopes.map((scope) => `"${scope}"`).join(' or ');
  return {
    401: {
      description: access.signed
        ? 'no X-API-Key header and no signed URL, or an unknown or revoked API key'
        : 'missing X-API-Key header, or an unknown or revoked API key',
      headers: { 'WWW-Authenticate': header('X-API-Key') },
    },
    403: { description: `the API key lacks the ${scopes} scope (PERMISSION_DENIED)` },
    429: {
      description: "over the API key's rate limit (RATE_LIMITED): retry after Retry-After",
      headers: {
        'Retry-After': retryAfter,
        'RateLimit-Limit': header('requests allowed per minute', 'integer'),
        'RateLimit-Remaining': header('requests left in this minute (0)', 'integer'),
        'RateLimit-Reset': header('seconds until the minute ends', 'integer'),
      },
    },
    503: {
      description: 'the metadata store or the content mount is unavailable (UNAVAILABLE): try again',
      headers: { 'Retry-After': { ...retryAfter, description: 'seconds to wait, when the server knows' } },
    },
  };
}

/**
 * The refusals of a route's input, from what it reads. 400: a path parameter over 100 characters (Fastify's
 * maxParamLength) or a `{sha256}` that is not a hash, a query parameter its handler does not take or a bad value of one,
 * a body that is not valid JSON or not what the route takes. 408, 413 and 415 wherever the server parses a request
 * body as JSON: on every method but GET and HEAD (whether or not the route takes a body), unless the route streams its
 * body itself (documented with another content type than JSON: the multipart and raw uploads, a tus PATCH, whose
 * stalled body closes the connection, with no answer).
 */
function inputRefusals(
  method: string,
  path: string,
  operation: Operation,
  route: RouteFacts,
): Record<string, Response & { also?: string }> {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
  const query = route.query || (operation.parameters ?? []).some((parameter) => parameter.in === 'query');
  const body = operation.requestBody?.content;
  const parsed = !['get', 'head'].includes(method) && (body === undefined || 'application/json' in body);
  const bad: string[] = [];
  if (params.includes('sha256')) bad.push('a sha256 in the path that is not 64 lowercase hex characters');
  if (params.length) bad.push('a path parameter over 100 characters');
  if (query) bad.push('a query parameter the route does not take, or a bad value of one');
  if (parsed) {
    bad.push(
      body
        ? 'a body that is not valid JSON, or not what the route takes (a missing, malformed or unknown field)'
        : 'a body that is not valid JSON (the route takes none)',
    );
  }
  const refusals: Record<string, Response & { also?: string }> = {};
  if (bad.length) refusals[400] = { description: `bad input (INVALID_INPUT): ${bad.join('; ')}`, also: bad.join('; ') };
  if (parsed) {
    refusals[408] = {
      description:
        'no byte of the request body arrived for bodyIdleTimeoutMs before it was whole (TIMEOUT): nothing was done ' +
        'and the connection is closed; send the request again',
    };
    refusals[413] = { description: 'a request body over maxJsonBytes (TOO_LARGE)' };
    refusals[415] = {
      description:
        'a request body of a Content-Type the server does not parse, such as text/plain (INVALID_INPUT): send JSON ' +
        'as application/json',
    };
  }
  return refusals;
}

/**
 * Adds to every operation the refusals of its input (inputRefusals: 400, 408, 413, 415), and to those of a route that needs
 * an API key the answers every such route may give (401, 403, 429, 503), with the error body and their headers; an
 * answer the route documents already keeps its own words and gets these appended. A public route gets no 401, 403,
 * 429 or 503, and claims no security requirement. A HEAD answer documents no body.
 */
function addCommonResponses(
  document: OpenAPIObject,
  handlers: ReadonlyMap<string, string>,
  facts: ReadonlyMap<string, RouteFacts>,
): void {
  const error = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(item)) {
      const operation = value as Operation;
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      // An @All handler's operations are `<id>_<method>`.
      const id = operation.operationId ?? '';
      const handler = handlers.get(id) ?? handlers.get(id.replace(/_[a-z]+$/, ''));
      const route = handler === undefined ? undefined : facts.get(handler);
      if (!route) continue;
      // `also`: what is appended to the route's own description of that status (else the description).
      const add = (status: string, { also, ...common }: Response & { also?: string }) => {
        const own = operation.responses[status];
        const body = method === 'head' ? {} : { content: error };
        operation.responses[status] = own
          ? {
              ...body,
              ...own,
              description: own.description
                ? `${own.description}; or ${also ?? common.description}`
                : common.description,
              ...((own.headers ?? common.headers) && { headers: { ...common.headers, ...own.headers } }),
            }
          : { ...common, ...body };
      };
      for (const [status, refusal] of Object.entries(inputRefusals(method, path, operation, route))) {
        add(status, refusal);
      }
      if (route.public) delete operation.security;
      else for (const [status, common] of Object.entries(commonResponses(route))) add(status, common);
      operation.responses = Object.fromEntries(
        Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
  }
}

/** The zod schemas the handlers validate their query with, by `method path` as the document names the route. */
const QUERY_SCHEMAS: Record<string, z.ZodObject> = {
  'get /catalogue': catalogueQuerySchema,
  'get /files': listQuerySchema,
  'post /upload_file/{sha256}': uploadQuerySchema,
};

/** The query of a signed URL, as SignedUrls.verify checks it (before the signature itself). */
const SIGNED_QUERY: Record<string, JsonSchema> = {
  expires: { type: 'integer', minimum: 0, maximum: 999_999_999_999 },
  kid: { type: 'string', pattern: '^[0-9A-Za-z_-]{1,100}$' },
  signature: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
};

/**
 * A schema for every parameter documented without one (`@ApiQuery` gives `{}`): a query parameter's from the zod
 * schema its handler validates it with (or a signed URL's), a `{sha256}` in the path the 64-hex pattern the routes
 * enforce.
 */
function addParameterSchemas(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(item)) {
      const operation = value as { parameters?: { name: string; in: string; schema?: JsonSchema }[] } | undefined;
      if (typeof operation !== 'object' || operation === null) continue;
      const shape = QUERY_SCHEMAS[`${method} ${path}`]?.shape as Record<string, z.ZodType> | undefined;
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'path' && parameter.name === 'sha256') {
          parameter.schema = { type: 'string', pattern: '^[0-9a-f]{64}$' };
        }
        if (parameter.in !== 'query' || Object.keys(parameter.schema ?? {}).length) continue;
        const own = shape?.[parameter.name];
        const schema = own ? jsonSchema(own, 'input') : SIGNED_QUERY[parameter.name];
        if (schema) parameter.schema = schema;
      }
    }
  }
}
