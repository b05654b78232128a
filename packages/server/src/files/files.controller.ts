import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../api-keys/auth.decorators.js';
import { sha256Param, validate } from '../http/validate.js';
import { CatalogueEpoch } from '../store/catalogue-epoch.js';
import { listQuerySchema, putFileSchema, putFilesSchema } from './dto/file-input.js';
import { FilesService } from './files.service.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** File metadata endpoints (PutPlace `put_file`/`get_file`, plus batch, listing and deletion). */
@ApiTags('files')
@ApiSecurity('api-key')
@Controller()
export class FilesController {
  constructor(
    @Inject(FilesService) private readonly files: FilesService,
    @Inject(CatalogueEpoch) private readonly epoch: CatalogueEpoch,
  ) {}

  @Get('catalogue')
  @RequireScope('read', 'write')
  @ApiOperation({
    summary: 'The catalogue epoch: changes whenever the server may have lost a record or content a client sent',
    description:
      'Any key with the read or write scope. `ufs scan` reads it once per run: while it is unchanged, records the ' +
      'server accepted (with their content) in an earlier run need not be sent again.',
  })
  @ApiResponse({ status: 200, schema: ref('Catalogue') })
  async catalogue() {
    return { catalogue_epoch: await this.epoch.current() };
  }

  @Post('put_file')
  @HttpCode(201)
  @RequireScope('write')
  @ApiOperation({ summary: 'Store the metadata of one file; says whether its content must be uploaded' })
  @ApiBody({ schema: ref('FileMetadata') })
  @ApiResponse({ status: 201, schema: ref('FileMetadataUploadResponse') })
  putFile(@Body() body: unknown) {
    return this.files.put(validate(putFileSchema, body, 'file metadata'));
  }

  @Post('put_files')
  @HttpCode(200)
  @RequireScope('write')
  @ApiOperation({ summary: 'Batch put_file: many records in one request; answers which hashes need upload' })
  @ApiBody({ schema: { type: 'object', properties: { files: { type: 'array', items: ref('FileMetadata') } } } })
  @ApiResponse({
    status: 400,
    description: 'A bad batch, or one bad record: then `record` is its index in `files`',
    schema: ref('Error'),
  })
  putFiles(@Body() body: unknown) {
    return this.files.putMany(validate(putFilesSchema, body, 'batch').files);
  }

  @Get('get_file/:sha256')
  @RequireScope('read')
  @ApiOperation({ summary: 'One file record with that content hash' })
  @ApiResponse({ status: 200, schema: ref('FileMetadataResponse') })
  getFile(@Param('sha256') sha256: string) {
    return this.files.getByHash(sha256Param(sha256));
  }

  @Get('files')
  @RequireScope('read')
  @ApiOperation({ summary: 'List files by host, path prefix or hash (all clones of one content), paginated' })
  @ApiQuery({ name: 'hostname', required: false })
  @ApiQuery({ name: 'path_prefix', required: false })
  @ApiQuery({ name: 'sha256', required: false })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Query() query: unknown) {
    const q = validate(listQuerySchema, query, 'query');
    const filter = {
      ...(q.hostname !== undefined && { hostname: q.hostname }),
      ...(q.path_prefix !== undefined && { pathPrefix: q.path_prefix }),
      ...(q.sha256 !== undefined && { sha256: q.sha256 }),
    };
    return this.files.list(filter, q.limit, q.cursor);
  }

  @Get('files/:id')
  @RequireScope('read')
  @ApiOperation({ summary: 'One file record by id' })
  getById(@Param('id') id: string) {
    return this.files.getById(id);
  }

  @Delete('files/:id')
  @RequireScope('write')
  @ApiOperation({ summary: 'Delete a file record (its content is removed later by gc when unreferenced)' })
  async remove(@Param('id') id: string) {
    await this.files.remove(id);
    return { message: 'File deleted' };
  }
}
