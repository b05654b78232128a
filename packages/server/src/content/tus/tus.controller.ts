import { Controller, Delete, Head, Inject, Options, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { UfsError } from '@org/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, RequireScope } from '../../api-keys/auth.decorators.js';
import { DEDUP_CONFIG, type DedupConfig } from '../../dedup-options.js';
import { unreadBody } from '../request-body.js';
import {
  TUS_CHECKSUM_ALGORITHMS,
  TUS_EXTENSIONS,
  TUS_VERSION,
  checkTusVersion,
  intHeader,
  parseUploadMetadata,
} from './tus-headers.js';
import { TusSessions } from './tus-sessions.js';

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
  @ApiOperation({ summary: 'tus discovery: version, extensions, checksum algorithms, max size (no key needed)' })
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
  @ApiOperation({ summary: 'Create an upload: Upload-Length, Upload-Metadata with sha256 (base64 of the hex)' })
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    checkTusVersion(req.headers['tus-resumable']);
    if (req.headers['upload-defer-length'] !== undefined) {
      throw new UfsError('INVALID_INPUT', '[ufs] [tus] Upload-Defer-Length is not supported: send Upload-Length');
    }
    const length = intHeader(req.headers['upload-length'], 'Upload-Length');
    const { sha256, metadata } = parseUploadMetadata(req.headers['upload-metadata']);
    const session = await this.sessions.create(sha256, length, metadata);
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
      'A finished upload answers Upload-Offset = Upload-Length until it expires. An upload whose every byte arrived but that was not committed (its server stopped while finishing it) is finished by this request.',
  })
  async head(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    checkTusVersion(req.headers['tus-resumable']);
    const session = await this.sessions.status(id);
    return reply
      .status(200)
      .headers({
        'tus-resumable': TUS_VERSION,
        'upload-offset': String(session.offset),
        'upload-length': String(session.length),
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
  async patch(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    checkTusVersion(req.headers['tus-resumable']);
    // The header as sent (the body is left unread whatever its type; see configureDedupApp), 415 as tus 1.0 says.
    const type = req.raw.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/offset+octet-stream') {
      throw new UfsError('INVALID_INPUT', '[ufs] [tus] PATCH needs Content-Type: application/offset+octet-stream', {
        context: { reason: 'unsupported-media-type' },
      });
    }
    const offset = intHeader(req.headers['upload-offset'], 'Upload-Offset');
    const session = await this.sessions.patch(id, offset, req.headers['upload-checksum'], unreadBody(req.raw));
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
  @RequireScope('write')
  @ApiOperation({ summary: 'Terminate an upload and remove what it stored' })
  async terminate(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    checkTusVersion(req.headers['tus-resumable']);
    await this.sessions.get(id);
    await this.sessions.terminate(id);
    return reply.status(204).headers({ 'tus-resumable': TUS_VERSION }).send();
  }
}
