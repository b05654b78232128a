import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../api-keys/auth.decorators.js';
import { sha256Param, validate } from '../http/validate.js';
import { CatalogueEpoch, catalogueQuerySchema } from '../store/catalogue-epoch.js';
import { listQuerySchema, noQuerySchema, putFileSchema, putFilesSchema } from './dto/file-input.js';
import { fileListSchema, messageSchema, putFilesResponseSchema } from './dto/file-responses.js';
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
    summary: "The catalogue epoch (and a host's catalogue revision): what a client may trust it still holds",
    description:
      'Any key with the read or write scope. `ufs scan` reads it once per run, with `?hostname=`: while the epoch ' +
      "and the host's revision are what it remembers, and the host has no more records without content than it " +
      'remembers, records the server accepted (with their content) in an earlier run need not be sent again. ' +
      'Without `hostname` the answer is `{catalogue_epoch}` alone.',
  })
  @ApiQuery({
    name: 'hostname',
    required: false,
    description: 'the host whose `catalogue_revision` (and `records_without_content`) is wanted',
  })
  @ApiResponse({ status: 200, schema: ref('Catalogue') })
  async catalogue(@Query() query: unknown) {
    const { hostname } = validate(catalogueQuerySchema, query, 'query');
    const catalogue_epoch = await this.epoch.current();
    if (hostname === undefined) return { catalogue_epoch };
    // The revision first: a write landing between the two reads can only make the count higher (never hide a gap).
    const catalogue_revision = await this.files.revision(hostname);
    return { catalogue_epoch, catalogue_revision, records_without_content: await this.files.withoutContent(hostname) };
  }

  @Post('put_file')
  @HttpCode(201)
  @RequireScope('write')
  @ApiOperation({ summary: 'Store the metadata of one file; says whether its content must be uploaded' })
  @ApiBody({ schema: ref('FileMetadata') })
  @ApiResponse({ status: 201, schema: ref('FileMetadataUploadResponse') })
  @ApiResponse({
    status: 400,
    description:
      'A bad record: a missing, malformed or unknown field, file_size 0 with another hash than that of empty ' +
      'content (or that hash with another size), or is_symlink true without a link_target (or a link_target with ' +
      'is_symlink false)',
    schema: ref('Error'),
  })
  putFile(@Body() body: unknown, @Query() query: unknown) {
    validate(noQuerySchema, query, 'query');
    return this.files.put(validate(putFileSchema, body, 'file metadata'));
  }

  @Post('put_files')
  @HttpCode(200)
  @RequireScope('write')
  @ApiOperation({ summary: 'Batch put_file: many records in one request; answers which hashes need upload' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['files'],
      additionalProperties: false,
      properties: { files: { type: 'array', minItems: 1, items: ref('FileMetadata') } },
    },
  })
  @ApiResponse({ status: 200, schema: putFilesResponseSchema })
  @ApiResponse({
    status: 413,
    description: 'more records than the server takes at once (maxBatch)',
    schema: ref('Error'),
  })
  @ApiResponse({
    status: 400,
    description: 'A bad batch, or one bad record: then `record` is its index in `files`',
    schema: ref('Error'),
  })
  putFiles(@Body() body: unknown, @Query() query: unknown) {
    validate(noQuerySchema, query, 'query');
    return this.files.putMany(validate(putFilesSchema, body, 'batch').files);
  }

  @Get('get_file/:sha256')
  @RequireScope('read')
  @ApiOperation({ summary: 'One file record with that content hash' })
  @ApiResponse({ status: 200, schema: ref('FileMetadataResponse') })
  @ApiResponse({ status: 404, description: 'no record with that hash', schema: ref('Error') })
  getFile(@Param('sha256') sha256: string, @Query() query: unknown) {
    validate(noQuerySchema, query, 'query');
    return this.files.getByHash(sha256Param(sha256));
  }

  @Get('files')
  @RequireScope('read')
  @ApiOperation({ summary: 'List files by host, path prefix or hash (all clones of one content), paginated' })
  @ApiQuery({ name: 'hostname', required: false })
  @ApiQuery({ name: 'path_prefix', required: false })
  @ApiQuery({ name: 'sha256', required: false })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } })
  @ApiQuery({ name: 'cursor', required: false, description: '`next_cursor` of the previous page' })
  @ApiResponse({ status: 200, schema: fileListSchema })
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
  @ApiResponse({ status: 200, schema: ref('FileMetadataResponse') })
  @ApiResponse({ status: 404, description: 'no record with that id', schema: ref('Error') })
  getById(@Param('id') id: string, @Query() query: unknown) {
    validate(noQuerySchema, query, 'query');
    return this.files.getById(id);
  }

  @Delete('files/:id')
  @RequireScope('write')
  @ApiOperation({ summary: 'Delete a file record (its content is removed later by gc when unreferenced)' })
  @ApiResponse({ status: 200, schema: messageSchema })
  @ApiResponse({ status: 404, description: 'no record with that id', schema: ref('Error') })
  async remove(@Param('id') id: string, @Query() query: unknown) {
    validate(noQuerySchema, query, 'query');
    await this.files.remove(id);
    return { message: 'File deleted' };
  }
}
