import {
  Controller,
  Delete,
  Head,
  HttpCode,
  Inject,
  Options,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { UfsError } from '@org/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, RequireScope } from '../../api-keys/auth.decorators.js';
import { DEDUP_CONFIG, type DedupConfig } from '../../dedup-options.js';
import { noQuerySchema } from '../../files/dto/file-input.js';
import { validate } from '../../http/validate.js';
import { unreadBody } from '../request-body.js';
import {
  TUS_CHECKSUM_ALGORITHMS,
  TUS_EXTENSIONS,
  TUS_VERSION,
  checkTusVersion,
  intHeader,
  parseUploadMetadata,
} from './tus-headers.js';
import { HEAD_WAIT_MS } from './tus-recording.js';
import { clientMetadata, tusCaller } from './tus-owner.js';
import { TusSessions } from './tus-sessions.js';
import type { AuthedRequest } from '../../api-keys/api-key.guard.js';
import type { UploadSession } from '../../store/store.js';

/**
 * Where a session keeps its Upload-Metadata header as the client sent it, among the decoded pairs: HEAD answers it
 * unchanged (tus 1.0 creation extension). A client's key matches [A-Za-z0-9_.-], so it can never be this one.
 */
const RAW_METADATA = 'tus:upload-metadata';

/** The Upload-Metadata of a session, as given at creation (re-encoded for a session stored without it). */
function uploadMetadata(session: UploadSession): string {
  const raw = session.metadata[RAW_METADATA];
  if (raw !== undefined) return raw;
  return Object.entries(clientMetadata(session.metadata))
    .map(([key, value]) => `${key} ${Buffer.from(value, 'utf8').toString('base64')}`)
    .join(',');
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const tusHeader = (description: string) => ({ description, schema: { type: 'string' } });

/** A wrong Tus-Resumable: every tus route but OPTIONS (a HEAD's answers carry no body, so no schema there). */
const wrongVersion = {
  status: 412,
  description: 'Tus-Resumable is not 1.0.0 (the answer carries Tus-Version: 1.0.0)',
  headers: { 'Tus-Version': tusHeader('1.0.0') },
};
/** HEAD, PATCH and DELETE: the upload is being finished by another request (its finish lease, see TusSessions). */
const busy = {
  status: 503,
  description:
    'the last byte has arrived and another request is finishing the upload (verifying and committing it), or terminating it: retry after Retry-After',
  headers: { 'Retry-After': tusHeader('seconds') },
};
/** HEAD: also while a PATCH of the upload is still receiving or recording its bytes (see TusSessions.status). */
const headBusy = {
  ...busy,
  description:
    `${busy.description}; or a PATCH of the upload (one cut off by its client a moment ago) is still recording the ` +
    `bytes it received ${HEAD_WAIT_MS / 1000} s after this HEAD came (it waits that long for them first)`,
};
/**
 * What finishing an upload (its last PATCH, or a HEAD of one whose every byte arrived) refuses as 400 and 460; nothing
 * is stored and the upload is removed (404 after).
 */
const sizeRefusal =
  'the hash has file records and none of them declares Upload-Length as its file_size (INVALID_INPUT, the rule of ' +
  'PUT /files/{sha256}/content; a record may have been added since the creation): nothing stored, the upload removed';
const hashRefusal =
  'the bytes do not hash to the sha256 of Upload-Metadata (INTEGRITY): nothing stored, the upload removed';

/** An upload is bound to the key that created it (tus-owner.ts): to another key it is as if absent. */
const otherKey = 'or created by another API key (answered as if it did not exist)';

/** tus 1.0 resumable uploads: creation, HEAD offset, PATCH, termination, checksum, expiration. */
@ApiTags('tus')
@ApiSecurity('api-key')
@Controller('tus')
export class TusController {
  constructor(
    @Inject(TusSessions) private readonly sessions: TusSessions,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
  ) {}

  // No key: tus clients and CORS preflights send OPTIONS without credentials, and the answer reveals only what the
  // server supports. On an upload's URL too (a preflight goes to the URL of the request it precedes).
  @Options(['', ':id'])
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'tus discovery: version, extensions, checksum algorithms, max size (no key needed)' })
  @ApiResponse({
    status: 204,
    description: 'what the server supports',
    headers: {
      'Tus-Version': tusHeader('1.0.0'),
      'Tus-Extension': tusHeader('supported extensions'),
      'Tus-Checksum-Algorithm': tusHeader('supported checksum algorithms'),
      'Tus-Max-Size': tusHeader('maxUploadBytes'),
    },
  })
  options(@Res() reply: FastifyReply) {
    return reply
      .status(204)
      .headers({
        'tus-resumable': TUS_VERSION,
        'tus-version': TUS_VERSION,
        'tus-extension': TUS_EXTENSIONS,
        'tus-checksum-algorithm': TUS_CHECKSUM_ALGORITHMS.join(','),
        'tus-max-size': String(this.config.maxUploadBytes),
      })
      .send();
  }

  @Post()
  @RequireScope('write')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an upload: Upload-Length, Upload-Metadata with sha256 (base64 of the hex)' })
  @ApiHeader({ name: 'Tus-Resumable', required: true, description: '1.0.0' })
  @ApiHeader({ name: 'Upload-Length', required: true, description: 'size of the whole upload in bytes' })
  @ApiHeader({
    name: 'Upload-Metadata',
    required: true,
    description: 'comma-separated "key base64value" pairs; must carry sha256 (base64 of the 64 hex characters)',
  })
  @ApiResponse({
    status: 201,
    description: 'created',
    headers: { Location: tusHeader('URL of the upload'), 'Upload-Expires': tusHeader('HTTP date') },
  })
  @ApiResponse({
    status: 400,
    description:
      'bad tus headers, or the hash has file records and none of them declares Upload-Length as its file_size (nothing created)',
    schema: ref('Error'),
  })
  @ApiResponse({ ...wrongVersion, schema: ref('Error') })
  @ApiResponse({
    status: 413,
    description: 'Upload-Length is over maxUploadBytes (Tus-Max-Size of OPTIONS; nothing created)',
    schema: ref('Error'),
  })
  async create(@Req() req: FastifyRequest, @Query() query: unknown, @Res() reply: FastifyReply) {
    checkTusVersion(req.headers['tus-resumable']);
    validate(noQuerySchema, query, 'query');
    if (req.headers['upload-defer-length'] !== undefined) {
      throw new UfsError('INVALID_INPUT', '[ufs] [tus] Upload-Defer-Length is not supported: send Upload-Length');
    }
    const length = intHeader(req.headers['upload-length'], 'Upload-Length');
    const { sha256, metadata } = parseUploadMetadata(req.headers['upload-metadata']);
    const raw = req.headers['upload-metadata'] as string; // a string: parseUploadMetadata required sha256 in it
    const creator = tusCaller((req as AuthedRequest).apiKey);
    const session = await this.sessions.create(sha256, length, { ...metadata, [RAW_METADATA]: raw }, creator);
    return reply
      .status(201)
      .headers({
        'tus-resumable': TUS_VERSION,
        location: `/tus/${session.id}`,
        'upload-expires': new Date(session.expires_at).toUTCString(),
      })
      .send();
  }

  @Head(':id')
  @RequireScope('write')
  @ApiOperation({
    summary: 'Current Upload-Offset of an upload',
    description:
      'A finished upload answers Upload-Offset = Upload-Length until it expires. An upload whose every byte arrived but that was not committed (its server stopped while finishing it) is finished by this request. While a PATCH of the upload is still recording what it received (its client cut off a moment ago), the answer waits for it, so the offset includes those bytes.',
  })
  @ApiResponse({
    status: 200,
    description: 'the upload',
    headers: {
      'Upload-Offset': tusHeader('bytes received'),
      'Upload-Length': tusHeader('size of the whole upload'),
      'Upload-Metadata': tusHeader('as sent when the upload was created'),
      'Upload-Expires': tusHeader('HTTP date'),
    },
  })
  @ApiResponse({
    status: 400,
    description: `bad input (a query string), or, when this request finishes it: ${sizeRefusal}`,
  })
  @ApiResponse({ status: 404, description: `no such upload, or expired, ${otherKey}` })
  @ApiResponse(wrongVersion)
  @ApiResponse({ status: 460, description: `when this request finishes the upload: ${hashRefusal}` })
  @ApiResponse(headBusy)
  async head(@Param('id') id: string, @Req() req: FastifyRequest, @Query() query: unknown, @Res() reply: FastifyReply) {
    checkTusVersion(req.headers['tus-resumable']);
    validate(noQuerySchema, query, 'query');
    const session = await this.sessions.status(id, tusCaller((req as AuthedRequest).apiKey));
    return reply
      .status(200)
      .headers({
        'tus-resumable': TUS_VERSION,
        'upload-offset': String(session.offset),
        'upload-length': String(session.length),
        'upload-metadata': uploadMetadata(session),
        'upload-expires': new Date(session.expires_at).toUTCString(),
        'cache-control': 'no-store',
      })
      .send();
  }

  @Patch(':id')
  @RequireScope('write')
  @ApiOperation({
    summary: 'Append bytes at Upload-Offset (application/offset+octet-stream, optional Upload-Checksum)',
    description:
      'The bytes of a PATCH cut short by its client are kept (HEAD tells the new offset), unless it carries an Upload-Checksum. A PATCH may carry the whole upload.',
  })
  @HttpCode(204)
  @ApiConsumes('application/offset+octet-stream')
  @ApiBody({ required: true, schema: { type: 'string', format: 'binary' } })
  @ApiResponse({
    status: 204,
    description: 'bytes stored',
    headers: { 'Upload-Offset': tusHeader('the new offset'), 'Upload-Expires': tusHeader('HTTP date') },
  })
  @ApiResponse({
    status: 400,
    description: `bad tus headers (Upload-Offset, Upload-Checksum), or, on the last byte: ${sizeRefusal}`,
    schema: ref('Error'),
  })
  @ApiResponse({ status: 404, description: `no such upload, or expired, ${otherKey}`, schema: ref('Error') })
  @ApiResponse({
    status: 409,
    description:
      "Upload-Offset is not the upload's offset, or another PATCH at that offset won (retryable: resume from the Upload-Offset of the answer)",
    headers: { 'Upload-Offset': tusHeader("the upload's offset") },
    schema: ref('Error'),
  })
  @ApiResponse({ ...wrongVersion, schema: ref('Error') })
  @ApiResponse({
    status: 413,
    description: 'the body (by its Content-Length, or as it arrives) is larger than what the upload still lacks',
    schema: ref('Error'),
  })
  @ApiResponse({
    status: 415,
    description: 'Content-Type is not application/offset+octet-stream',
    schema: ref('Error'),
  })
  @ApiResponse({
    status: 460,
    description: `Upload-Checksum does not match the body (tus checksum extension: the chunk was not stored), or, on the last byte: ${hashRefusal}`,
    schema: ref('Error'),
  })
  @ApiResponse({ ...busy, schema: ref('Error') })
  async patch(
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Query() query: unknown,
    @Res() reply: FastifyReply,
  ) {
    checkTusVersion(req.headers['tus-resumable']);
    validate(noQuerySchema, query, 'query');
    // The header as sent (the body is left unread whatever its type; see configureDedupApp), 415 as tus 1.0 says.
    const type = req.raw.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/offset+octet-stream') {
      throw new UfsError('INVALID_INPUT', '[ufs] [tus] PATCH needs Content-Type: application/offset+octet-stream', {
        context: { reason: 'unsupported-media-type' },
      });
    }
    const offset = intHeader(req.headers['upload-offset'], 'Upload-Offset');
    const session = await this.sessions.patch(
      id,
      tusCaller((req as AuthedRequest).apiKey),
      offset,
      req.headers['upload-checksum'],
      unreadBody(req.raw, this.config.bodyIdleTimeoutMs),
    );
    return reply
      .status(204)
      .headers({
        'tus-resumable': TUS_VERSION,
        'upload-offset': String(session.offset),
        'upload-expires': new Date(session.expires_at).toUTCString(),
      })
      .send();
  }

  @Delete(':id')
  @RequireScope('write', 'admin')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Terminate an upload and remove what it stored',
    description:
      'Only the key that created the upload, or an admin key (any upload); an upload created before uploads were bound to keys, any write key.',
  })
  @ApiResponse({ status: 204, description: 'terminated' })
  @ApiResponse({ status: 400, description: 'bad input (a query string)', schema: ref('Error') })
  @ApiResponse({
    status: 404,
    description: `no such upload, or expired, ${otherKey} (an admin key may terminate any upload)`,
    schema: ref('Error'),
  })
  @ApiResponse({ ...wrongVersion, schema: ref('Error') })
  @ApiResponse({
    ...busy,
    description:
      'another request is finishing the upload (its last byte arrived: verifying and committing it): the finish wins; ' +
      'retry after Retry-After (a finished upload: only its session is removed, its content stays held)',
    schema: ref('Error'),
  })
  async terminate(
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Query() query: unknown,
    @Res() reply: FastifyReply,
  ) {
    checkTusVersion(req.headers['tus-resumable']);
    validate(noQuerySchema, query, 'query');
    await this.sessions.get(id, tusCaller((req as AuthedRequest).apiKey), 'terminate');
    await this.sessions.terminate(id);
    return reply.status(204).headers({ 'tus-resumable': TUS_VERSION }).send();
  }
}
