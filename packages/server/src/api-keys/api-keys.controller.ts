import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { noQuerySchema, surrogateMessage } from '../files/dto/file-input.js';
import { messageSchema } from '../files/dto/file-responses.js';
import { validate } from '../http/validate.js';
import { SCOPES, type ApiKeyRecord } from '../store/store.js';
import type { AuthedRequest } from './api-key.guard.js';
import { ApiKeysService } from './api-keys.service.js';
import { RequireScope } from './auth.decorators.js';
import { keyNameProblem, unpairedSurrogate } from '@org/core';

const createKeySchema = z
  .object({
    name: z.string().superRefine((name, ctx) => {
      const problem = keyNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: `name ${problem}` });
    }),
    description: z
      .string()
      .max(1000)
      .superRefine((text, ctx) => {
        const lone = unpairedSurrogate(text);
        if (lone) ctx.addIssue({ code: 'custom', message: surrogateMessage('description', lone) });
      })
      .nullable()
      .optional(),
    scopes: z.array(z.enum(SCOPES)).min(1).max(3).optional(),
    rate_limit_per_minute: z.number().int().min(1).max(10_000_000).nullable().optional(),
  })
  .strict();

const keyViewSchema = {
  type: 'object',
  properties: {
    _id: { type: 'string' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    last_used_at: { type: ['string', 'null'], format: 'date-time' },
    is_active: { type: 'boolean' },
    scopes: { type: 'array', items: { enum: [...SCOPES] } },
    rate_limit_per_minute: { type: ['integer', 'null'] },
  },
};

function keyView(record: ApiKeyRecord) {
  return {
    _id: record.id,
    name: record.name,
    description: record.description,
    created_at: record.created_at,
    last_used_at: record.last_used_at,
    is_active: record.is_active,
    scopes: record.scopes,
    rate_limit_per_minute: record.rate_limit_per_minute,
  };
}

/** PutPlace `/api_keys`: create (plaintext shown once), list, revoke, delete. Admin scope. */
@ApiTags('api-keys')
@ApiSecurity('api-key')
@Controller('api_keys')
export class ApiKeysController {
  constructor(@Inject(ApiKeysService) private readonly keys: ApiKeysService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Create an API key; the key appears only in this response' })
  @ApiBody({ schema: { $ref: '#/components/schemas/ApiKeyCreate' } })
  @ApiResponse({
    status: 201,
    schema: { allOf: [keyViewSchema, { type: 'object', properties: { api_key: { type: 'string' } } }] },
  })
  @ApiResponse({
    status: 403,
    description: "scopes or a rate_limit_per_minute beyond this API key's own (PERMISSION_DENIED)",
    schema: { $ref: '#/components/schemas/Error' },
  })
  async create(@Body() body: unknown, @Query() query: unknown, @Req() req: AuthedRequest) {
    validate(noQuerySchema, query, 'query');
    const input = validate(createKeySchema, body, 'key request');
    const { apiKey, record } = await this.keys.create(req.apiKey!, {
      name: input.name,
      description: input.description ?? null,
      ...(input.scopes && { scopes: input.scopes }),
      rateLimitPerMinute: input.rate_limit_per_minute ?? null,
    });
    const { last_used_at: _unused, ...view } = keyView(record);
    return { api_key: apiKey, ...view };
  }

  @Get()
  @RequireScope('admin')
  @ApiOperation({ summary: 'List API keys (never the keys themselves)' })
  @ApiResponse({ status: 200, schema: { type: 'array', items: keyViewSchema } })
  async list(@Query() query: unknown) {
    validate(noQuerySchema, query, 'query');
    return (await this.keys.list()).map(keyView);
  }

  @Put(':id/revoke')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Revoke an API key (it stays listed, inactive)' })
  @ApiResponse({ status: 200, schema: messageSchema })
  @ApiResponse({ status: 404, description: 'no API key with that id', schema: { $ref: '#/components/schemas/Error' } })
  async revoke(@Param('id') id: string, @Query() query: unknown) {
    validate(noQuerySchema, query, 'query');
    await this.keys.revoke(id);
    return { message: 'API key revoked successfully' };
  }

  @Delete(':id')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Delete an API key' })
  @ApiResponse({ status: 200, schema: messageSchema })
  @ApiResponse({ status: 404, description: 'no API key with that id', schema: { $ref: '#/components/schemas/Error' } })
  async remove(@Param('id') id: string, @Query() query: unknown) {
    validate(noQuerySchema, query, 'query');
    await this.keys.remove(id);
    return { message: 'API key deleted successfully' };
  }
}
