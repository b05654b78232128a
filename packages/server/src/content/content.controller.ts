import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { UfsError } from '@org/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthedRequest } from '../api-keys/api-key.guard.js';
import { RequireScope, SignedAccess } from '../api-keys/auth.decorators.js';
import { uploadQuerySchema } from '../files/dto/file-input.js';
import { sha256Param, validate } from '../http/validate.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { shareRequestSchema, SignedUrls } from '../signing/signed-urls.js';
import { METADATA_STORE, type MetadataStore } from '../store/store.js';
import { ContentService } from './content.service.js';
import { etagMatches, parseRange } from './range.js';
import { declaredLength, multipartFile, unreadBody } from './request-body.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Content upload (PutPlace multipart, raw PUT) and download with ETag, Range and 304. */
@ApiTags('content')
@ApiSecurity('api-key')
@Controller()
export class ContentController {
  constructor(
    @Inject(ContentService) private readonly uploads: ContentService,
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(SignedUrls) private readonly signed: SignedUrls,
  ) {}

  /** Size of the verified content the server holds for `sha256` (the empty content always), else undefined. */
  private async heldSize(sha256: string): Promise<number | undefined> {
    const record = await this.store.getContent(sha256);
    return record?.state === 'present' ? record.size : sha256 === EMPTY_SHA256 ? 0 : undefined;
  }

  @Post('upload_file/:sha256')
  @HttpCode(200)
  @RequireScope('write')
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Upload the content of a file recorded with put_file (multipart field "file")' })
  async uploadFile(@Param('sha256') sha: string, @Query() query: unknown, @Req() req: FastifyRequest) {
    const sha256 = sha256Param(sha);
    const { hostname, filepath } = validate(uploadQuerySchema, query, 'query');
    const record = await this.store.findFile(hostname, filepath);
    if (!record || record.sha256 !== sha256) {
      throw new UfsError(
        'NOT_FOUND',
        `[ufs] no file record with sha256 ${sha256} at ${hostname}:${filepath}; put_file first`,
      );
    }
    // The request's length bounds the file's: small uploads are hashed inline, not on the hashing thread.
    const result = await this.uploads.ingest(sha256, await multipartFile(unreadBody(req.raw)), declaredLength(req.raw));
    return {
      message: 'File uploaded successfully',
      sha256,
      file_size: result.size,
      hostname,
      filepath,
      outcome: result.outcome,
    };
  }

  @Put('files/:sha256/content')
  @HttpCode(200)
  @RequireScope('write')
  @ApiConsumes('application/octet-stream')
  @ApiOperation({
    summary: 'Upload content by hash as a raw body (no multipart)',
    description: 'The body is the content whatever its Content-Type (JSON and text are stored, not parsed).',
  })
  async putContent(@Param('sha256') sha: string, @Req() req: FastifyRequest) {
    const sha256 = sha256Param(sha);
    // Any Content-Type: the body is the content, streamed as it arrives (see configureDedupApp).
    const result = await this.uploads.ingest(sha256, unreadBody(req.raw));
    return { message: 'File uploaded successfully', sha256, file_size: result.size, outcome: result.outcome };
  }

  @Post('files/:sha256/share')
  @HttpCode(201)
  @RequireScope('read')
  @ApiOperation({
    summary: 'A signed download URL of the content: GET/HEAD without an API key until it expires',
    description:
      'Answers `/files/{sha256}/content?expires=<epoch seconds>&signature=<hex HMAC-SHA256 of "<sha256>:<expires>">`. ' +
      'Default lifetime 7 days, at most 30 days. 404 when the server holds no verified content for the hash.',
  })
  @ApiBody({ required: false, schema: ref('ShareRequest') })
  @ApiResponse({ status: 201, schema: ref('ShareResponse') })
  @ApiResponse({ status: 404, description: 'no verified content for this hash', schema: ref('Error') })
  async share(@Param('sha256') sha: string, @Body() body: unknown) {
    const sha256 = sha256Param(sha);
    const { expires_in } = validate(shareRequestSchema, body ?? {}, 'share request');
    if ((await this.heldSize(sha256)) === undefined) {
      throw new UfsError('NOT_FOUND', `[ufs] the server holds no verified content for ${sha256}`);
    }
    return this.signed.sign(sha256, expires_in);
  }

  @Get('files/:sha256/content')
  @RequireScope('read')
  @SignedAccess()
  @ApiOperation({
    summary: 'Download content: ETag, Content-Length, Range (206), If-None-Match (304)',
    description:
      'Needs X-API-Key, or instead the `expires` and `signature` of a signed URL from POST /files/{sha256}/share ' +
      '(403 when expired or invalid).',
  })
  @ApiQuery({ name: 'expires', required: false, description: 'signed URL: expiry (epoch seconds)' })
  @ApiQuery({ name: 'signature', required: false, description: 'signed URL: hex HMAC-SHA256' })
  @ApiResponse({ status: 403, description: 'signed URL expired or invalid', schema: ref('Error') })
  async download(@Param('sha256') sha: string, @Req() req: AuthedRequest, @Res() reply: FastifyReply) {
    const sha256 = sha256Param(sha);
    const etag = `"${sha256}"`;
    const size = await this.heldSize(sha256);
    if (size === undefined) throw new UfsError('NOT_FOUND', `[ufs] the server holds no content for ${sha256}`);
    // A signed URL must stop working when it expires, so shared caches may keep its answer only until then.
    const cache =
      req.signedUntil === undefined
        ? 'public, max-age=31536000, immutable'
        : `private, max-age=${Math.max(0, req.signedUntil - Math.floor(Date.now() / 1000))}`;
    reply.header('etag', etag).header('accept-ranges', 'bytes').header('cache-control', cache);
    if (etagMatches(req.headers['if-none-match'], etag)) return reply.status(304).send();
    const range = parseRange(req.headers.range, size);
    const length = range ? range.end - range.start + 1 : size;
    const body = size === 0 ? '' : await this.uploads.content.read(sha256, range);
    if (range) reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
    if (req.method !== 'HEAD') this.metrics.bytesOut.inc(length);
    return reply.header('content-length', String(length)).type('application/octet-stream').send(body);
  }
}
