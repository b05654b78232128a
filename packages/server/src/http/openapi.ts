import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { fileMetadataSchema } from '@org/core/dedup-schema';
import { z } from 'zod';
import { shareRequestSchema, shareResponseSchema } from '../signing/signed-urls.js';
import { catalogueResponseSchema } from '../store/catalogue-epoch.js';
import { readinessReportSchema } from '../health/readiness-report.js';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io }) as JsonSchema;
  return rest;
}

/** Component schemas generated from the zod schemas the server validates with (one source of truth). */
function componentSchemas(): Record<string, JsonSchema> {
  const fileMetadata = jsonSchema(fileMetadataSchema, 'input');
  const server = {
    _id: { type: 'string' },
    has_file_content: { type: 'boolean' },
    file_uploaded_at: { type: ['string', 'null'], format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  };
  const response = { allOf: [{ $ref: '#/components/schemas/FileMetadata' }, { type: 'object', properties: server }] };
  return {
    FileMetadata: fileMetadata,
    FileMetadataResponse: response,
    FileMetadataUploadResponse: {
      allOf: [
        { $ref: '#/components/schemas/FileMetadataResponse' },
        {
          type: 'object',
          properties: { upload_required: { type: 'boolean' }, upload_url: { type: ['string', 'null'] } },
        },
      ],
    },
    ApiKeyCreate: {
      type: 'object',
      required: ['name'],
      properties: {
        name: {
          type: 'string',
          minLength: 1,
          maxLength: 100,
          // keyNameProblem (api-keys/key-name.ts): no control characters (C0, DEL, C1), not only whitespace.
          pattern: '^(?=.*\\S)[^\\u0000-\\u001f\\u007f-\\u009f]+$',
          description: '1 to 100 characters, not only whitespace, no control characters',
        },
        description: { type: ['string', 'null'] },
        scopes: { type: 'array', items: { enum: ['read', 'write', 'admin'] } },
        rate_limit_per_minute: { type: ['integer', 'null'], minimum: 1 },
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
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...componentSchemas() } };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
