import type { Readable } from 'node:stream';
import {
  Body,
  Controller,
  Get,
  Head,
  HttpCode,
  Inject,
  Logger,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { UfsError, isUfsError } from '@org/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthedRequest } from '../api-keys/api-key.guard.js';
import { RequireScope, SignedAccess } from '../api-keys/auth.decorators.js';
import { downloadQuerySchema, noQuerySchema, uploadQuerySchema } from '../files/dto/file-input.js';
import { EMPTY_SHA256 } from '../files/file-response.js';
import { serverFault } from '../http/server-fault.js';
import { sha256Param, validate } from '../http/validate.js';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { shareRequestSchema, SignedUrls } from '../signing/signed-urls.js';
import { METADATA_STORE, type MetadataStore } from '../store/store.js';
import { ContentService } from './content.service.js';
import { planDownload } from './range.js';
import { recordSize, recordsSize } from './record-size.js';
import { declaredLength, MAX_MULTIPART_PARTS, multipartFile, unreadBody } from './request-body.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** 200 answer of an upload (multipart or raw). */
const uploadedSchema = {
  type: 'object',
  required: ['message', 'sha256', 'file_size', 'outcome'],
  properties: {
    message: { type: 'string' },
    sha256: { type: 'string' },
    file_size: { type: 'integer', minimum: 0 },
    hostname: { type: 'string', description: 'POST /upload_file only' },
    filepath: { type: 'string', description: 'POST /upload_file only' },
    outcome: { type: 'string', description: 'whether the bytes were stored or the content was already held' },
  },
};
const downloadHeaders = {
  ETag: { description: 'the sha256, quoted', schema: { type: 'string' } },
  'Cache-Control': { schema: { type: 'string' } },
  'Accept-Ranges': { schema: { type: 'string', enum: ['bytes'] } },
};
const binary = { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } };

/** Content upload (PutPlace multipart, raw PUT) and download with ETag, Range and 304. */
@ApiTags('content')
@ApiSecurity('api-key')
@Controller()
export class ContentController {
  private readonly log = new Logger('ufs.content');

  constructor(
    @Inject(ContentService) private readonly uploads: ContentService,
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(SignedUrls) private readonly signed: SignedUrls,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
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
  @ApiQuery({ name: 'hostname', required: true, description: 'hostname of the record (as sent to put_file)' })
  @ApiQuery({ name: 'filepath', required: true, description: 'filepath of the record (as sent to put_file)' })
  @ApiBody({
    required: true,
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary', description: 'the content; other parts are dropped' } },
    },
  })
  @ApiResponse({ status: 200, schema: uploadedSchema })
  @ApiResponse({ status: 404, description: 'no record with this hash at hostname:filepath', schema: ref('Error') })
  @ApiResponse({
    status: 400,
    description: 'bad input, or the bytes do not hash to sha256 (INTEGRITY: nothing stored)',
    schema: ref('Error'),
  })
  @ApiResponse({
    status: 413,
    description: `over maxUploadBytes, or more than ${MAX_MULTIPART_PARTS} multipart parts up to the "file" part`,
    schema: ref('Error'),
  })
  async uploadFile(@Param('sha256') sha: string, @Query() query: unknown, @Req() req: FastifyRequest) {
    const sha256 = sha256Param(sha);
    const { hostname, filepath } = validate(uploadQuerySchema, query, 'query');
    // Refused on its Content-Length before the body is read: busboy reads it (and `100 Continue` goes) at once.
    this.uploads.admitMultipart(req.raw);
    const record = await this.store.findFile(hostname, filepath);
    if (!record || record.sha256 !== sha256) {
      throw new UfsError(
        'NOT_FOUND',
        `[ufs] no file record with sha256 ${sha256} at ${hostname}:${filepath}; put_file first`,
      );
    }
    // The request's length bounds the file's: small uploads are hashed inline, not on the hashing thread.
    // Content of another size than the record declares is refused (400) before anything is stored.
    const result = await this.uploads.ingest(
      sha256,
      await multipartFile(unreadBody(req.raw, this.config.bodyIdleTimeoutMs)),
      declaredLength(req.raw),
      recordSize(record),
    );
    // The record may have been deleted, or changed to another hash by a rescan, while the bytes came in: then there
    // is no record to attach them to any more (spec: 404). The verified content stays; gc removes it if unreferenced.
    const after = await this.store.findFile(hostname, filepath);
    if (!after || after.sha256 !== sha256) {
      throw new UfsError(
        'NOT_FOUND',
        `[ufs] the file record at ${hostname}:${filepath} was deleted or changed to another hash during the upload; ` +
          `no file record with sha256 ${sha256} is there any more`,
      );
    }
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
  @ApiBody({ required: true, schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 200, schema: uploadedSchema })
  @ApiResponse({
    status: 400,
    description: 'bad input, or the bytes do not hash to sha256 (INTEGRITY: nothing stored)',
    schema: ref('Error'),
  })
  @ApiResponse({ status: 413, description: 'over maxUploadBytes', schema: ref('Error') })
  async putContent(@Param('sha256') sha: string, @Query() query: unknown, @Req() req: FastifyRequest) {
    const sha256 = sha256Param(sha);
    validate(noQuerySchema, query, 'query');
    // Any Content-Type: the body is the content, streamed as it arrives (see configureDedupApp).
    // For the records of the hash, when there are any: content of a size none of them declares is refused (400).
    const result = await this.uploads.ingest(
      sha256,
      unreadBody(req.raw, this.config.bodyIdleTimeoutMs),
      undefined,
      recordsSize(this.store, sha256),
    );
    return { message: 'File uploaded successfully', sha256, file_size: result.size, outcome: result.outcome };
  }

  @Post('files/:sha256/share')
  @HttpCode(201)
  @RequireScope('read')
  @ApiOperation({
    summary: 'A signed download URL of the content: GET/HEAD without an API key until it expires',
    description:
      'Answers `/files/{sha256}/content?expires=<epoch seconds>&kid=<id of this API key>&signature=<hex ' +
      'HMAC-SHA256 of "<sha256>:<expires>:<kid>">`: it works until it expires or this API key is revoked or ' +
      'deleted. Default lifetime 7 days, at most 30 days. 404 when the server holds no verified content for the hash.',
  })
  @ApiBody({ required: false, schema: ref('ShareRequest') })
  @ApiResponse({ status: 201, schema: ref('ShareResponse') })
  @ApiResponse({ status: 404, description: 'no verified content for this hash', schema: ref('Error') })
  async share(@Param('sha256') sha: string, @Body() body: unknown, @Query() query: unknown, @Req() req: AuthedRequest) {
    const sha256 = sha256Param(sha);
    validate(noQuerySchema, query, 'query');
    const { expires_in } = validate(shareRequestSchema, body ?? {}, 'share request');
    if ((await this.heldSize(sha256)) === undefined) {
      throw new UfsError('NOT_FOUND', `[ufs] the server holds no verified content for ${sha256}`);
    }
    // The URL names the key that asked for it: it stops working when that key is revoked or deleted.
    if (!req.apiKey) throw new UfsError('UNEXPECTED', '[ufs] share answered without an API key');
    return this.signed.sign(sha256, req.apiKey.id, expires_in);
  }

  // Declared before the GET: Fastify then adds no automatic HEAD route of its own (which would run the GET handler,
  // open the object and read it through to discard it).
  @Head('files/:sha256/content')
  @RequireScope('read')
  @SignedAccess()
  @ApiOperation({
    summary: 'The headers of a download without its body (the object is not read)',
    description: 'The same status and headers as GET, with the same preconditions, Range and signed URLs.',
  })
  @ApiQuery({ name: 'expires', required: false, description: 'signed URL: expiry (epoch seconds)' })
  @ApiQuery({ name: 'kid', required: false, description: 'signed URL: id of the API key that signed it' })
  @ApiQuery({ name: 'signature', required: false, description: 'signed URL: hex HMAC-SHA256' })
  @ApiResponse({ status: 200, description: 'the headers of the whole content', headers: downloadHeaders })
  @ApiResponse({ status: 206, description: 'the headers of a range (Content-Range)', headers: downloadHeaders })
  @ApiResponse({ status: 304, description: 'If-None-Match names the ETag' })
  @ApiResponse({ status: 403, description: 'signed URL expired or invalid, or its API key revoked or deleted' })
  @ApiResponse({ status: 404, description: 'no content held for this hash' })
  @ApiResponse({ status: 412, description: 'If-Match does not match the ETag' })
  @ApiResponse({ status: 416, description: 'Range not satisfiable' })
  async downloadHead(@Param('sha256') sha: string, @Req() req: AuthedRequest, @Res() reply: FastifyReply) {
    await this.serveContent(sha, req, reply, false);
  }

  @Get('files/:sha256/content')
  @RequireScope('read')
  @SignedAccess()
  @ApiOperation({
    summary: 'Download content: ETag, Content-Length, Range (206), If-Range, If-None-Match (304), If-Match (412)',
    description:
      'Needs X-API-Key, or instead the `expires`, `kid` and `signature` of a signed URL from POST /files/{sha256}/share ' +
      '(403 when expired or invalid, or when the API key that signed it was revoked or deleted).',
  })
  @ApiQuery({ name: 'expires', required: false, description: 'signed URL: expiry (epoch seconds)' })
  @ApiQuery({ name: 'kid', required: false, description: 'signed URL: id of the API key that signed it' })
  @ApiQuery({ name: 'signature', required: false, description: 'signed URL: hex HMAC-SHA256' })
  @ApiResponse({ status: 200, description: 'the whole content', headers: downloadHeaders, content: binary })
  @ApiResponse({
    status: 206,
    description: 'the range asked for (Content-Range)',
    headers: { ...downloadHeaders, 'Content-Range': { schema: { type: 'string' } } },
    content: binary,
  })
  @ApiResponse({ status: 304, description: 'If-None-Match names the ETag: not modified, no body' })
  @ApiResponse({
    status: 403,
    description: 'signed URL expired or invalid, or its API key revoked or deleted',
    schema: ref('Error'),
  })
  @ApiResponse({ status: 404, description: 'no content held for this hash', schema: ref('Error') })
  @ApiResponse({ status: 412, description: 'If-Match does not match the ETag', schema: ref('Error') })
  @ApiResponse({ status: 416, description: 'Range not satisfiable', schema: ref('Error') })
  async download(@Param('sha256') sha: string, @Req() req: AuthedRequest, @Res() reply: FastifyReply) {
    await this.serveContent(sha, req, reply, true);
  }

  /**
   * GET (`withBody`) or HEAD of held content. Preconditions and Range are settled before anything is opened; the
   * caching headers (ETag, Cache-Control) go only on 200, 206 and 304, never on a refusal. HEAD opens no stream: it
   * only checks that the object is there, so that it answers what GET would.
   */
  private async serveContent(sha: string, req: AuthedRequest, reply: FastifyReply, withBody: boolean): Promise<void> {
    const sha256 = sha256Param(sha);
    validate(downloadQuerySchema, req.query, 'query');
    const etag = `"${sha256}"`;
    const size = await this.heldSize(sha256);
    if (size === undefined) throw new UfsError('NOT_FOUND', `[ufs] the server holds no content for ${sha256}`);
    const plan = planDownload(req.headers, etag, size);
    // 412 through the error map (the reason's status), with the API's error body and no caching headers.
    if (plan.status === 412) {
      throw new UfsError('ALREADY_EXISTS', `[ufs] ${plan.reason}`, { context: { reason: 'precondition-failed' } });
    }
    // Answers to a key are private: a shared cache must not hand them to requests without one. A signed URL must stop
    // working when it expires, so its answer may be kept only until then.
    const cache =
      req.signedUntil === undefined
        ? 'private, max-age=31536000, immutable'
        : `private, max-age=${Math.max(0, req.signedUntil - Math.floor(Date.now() / 1000))}`;
    if (plan.status === 304) {
      await reply.status(304).header('etag', etag).header('cache-control', cache).send();
      return;
    }
    const range = plan.status === 206 ? plan.range : undefined;
    const length = range ? range.end - range.start + 1 : size;
    let body: Readable | string | undefined;
    if (size === 0) body = withBody ? '' : undefined;
    else if (withBody) body = await this.openContent(sha256, range);
    else await this.checkContent(sha256);
    reply.status(range ? 206 : 200);
    if (range) reply.header('content-range', `bytes ${range.start}-${range.end}/${size}`);
    if (withBody) this.metrics.bytesOut.inc(length);
    await reply
      .header('etag', etag)
      .header('accept-ranges', 'bytes')
      .header('cache-control', cache)
      .header('content-length', String(length))
      .type('application/octet-stream')
      .send(body);
  }

  /** A stream of the object of `sha256` (or of a range of it); a missing object is NOT_FOUND by hash only. */
  private async openContent(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      return await this.uploads.content.read(sha256, range);
    } catch (err) {
      throw this.unavailable(sha256, err);
    }
  }

  /** NOT_FOUND (by hash only) unless the object of `sha256` is in the content mount: a stat, nothing is read. */
  private async checkContent(sha256: string): Promise<void> {
    let found;
    try {
      found = await this.uploads.content.stat(sha256);
    } catch (err) {
      throw this.unavailable(sha256, err);
    }
    if (!found) throw this.notAvailable(sha256, 'no object at its key');
  }

  /**
   * What a client is told when the object of held content cannot be read: the backend's error names the mount and the
   * storage key, so it goes to the log and the client gets the hash. A missing object (a record whose object went
   * away: see `POST /admin/verify`) is NOT_FOUND; anything else is the server's failure, not the client's (a
   * serverFault of the ContentStore: 500, or 503 when it may pass, saying only its kind).
   */
  private unavailable(sha256: string, err: unknown): UfsError {
    if (isUfsError(err, 'NOT_FOUND')) return this.notAvailable(sha256, err.message, err);
    return serverFault(err, { operation: 'read', path: sha256 });
  }

  private notAvailable(sha256: string, detail: string, cause?: unknown): UfsError {
    this.log.warn(`content ${sha256} is held by the store but its object cannot be read: ${detail}`);
    return new UfsError('NOT_FOUND', `[ufs] content ${sha256} is not available`, { cause });
  }
}
