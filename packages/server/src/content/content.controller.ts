import { Controller, Get, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { UfsError } from '@org/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../api-keys/auth.decorators.js';
import { uploadQuerySchema } from '../files/dto/file-input.js';
import { sha256Param, validate } from '../http/validate.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { METADATA_STORE, type MetadataStore } from '../store/store.js';
import { ContentService } from './content.service.js';
import { etagMatches, parseRange } from './range.js';
import { multipartFile, rawBody } from './request-body.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Content upload (PutPlace multipart, raw PUT) and download with ETag, Range and 304. */
@ApiTags('content')
@ApiSecurity('api-key')
@Controller()
export class ContentController {
  constructor(
    @Inject(ContentService) private readonly uploads: ContentService,
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

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
    const result = await this.uploads.ingest(sha256, await multipartFile(req.raw));
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
  @ApiOperation({ summary: 'Upload content by hash as a raw body (no multipart)' })
  async putContent(@Param('sha256') sha: string, @Req() req: FastifyRequest) {
    const sha256 = sha256Param(sha);
    const result = await this.uploads.ingest(sha256, rawBody(req.raw));
    return { message: 'File uploaded successfully', sha256, file_size: result.size, outcome: result.outcome };
  }

  @Get('files/:sha256/content')
  @RequireScope('read')
  @ApiOperation({ summary: 'Download content: ETag, Content-Length, Range (206), If-None-Match (304)' })
  async download(@Param('sha256') sha: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const sha256 = sha256Param(sha);
    const etag = `"${sha256}"`;
    const record = await this.store.getContent(sha256);
    const size = record?.state === 'present' ? record.size : sha256 === EMPTY_SHA256 ? 0 : undefined;
    if (size === undefined) throw new UfsError('NOT_FOUND', `[ufs] the server holds no content for ${sha256}`);
    reply
      .header('etag', etag)
      .header('accept-ranges', 'bytes')
      .header('cache-control', 'public, max-age=31536000, immutable');
    if (etagMatches(req.headers['if-none-match'], etag)) return reply.status(304).send();
    const range = parseRange(req.headers.range, size);
    const length = range ? range.end - range.start + 1 : size;
    const body = size === 0 ? '' : await this.uploads.content.read(sha256, range);
    if (range) reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
    if (req.method !== 'HEAD') this.metrics.bytesOut.inc(length);
    return reply.header('content-length', String(length)).type('application/octet-stream').send(body);
  }
}
