import { Body, Controller, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../api-keys/auth.decorators.js';
import { noQuerySchema } from '../files/dto/file-input.js';
import { validate } from '../http/validate.js';
import { bodySchema, gcReportSchema, gcSchema, verifyReportSchema, verifySchema } from './dto/admin-input.js';
import { GcService } from './gc.service.js';
import { VerifyService } from './verify.service.js';

/** Maintenance: garbage collection and integrity check (admin scope). */
@ApiTags('admin')
@ApiSecurity('api-key')
@Controller('admin')
export class AdminController {
  constructor(
    @Inject(GcService) private readonly gc: GcService,
    @Inject(VerifyService) private readonly verify: VerifyService,
  ) {}

  @Post('gc')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Remove content no record refers to (safe against concurrent uploads)',
    description:
      'Lists at most 1000 hashes per kind (`deleted`, `orphans`); `deletedCount` and `orphansCount` are exact and ' +
      '`truncated` is true when a list was cut. Orphans (objects without a record) are never removed when the store ' +
      'holds no content record, nor when they are more than 10 and more than 10 % of the content objects (a store ' +
      "that may not be the content's own): 400 `INVALID_INPUT` and nothing is removed, unless `force` is true.",
  })
  @ApiBody({ required: false, schema: bodySchema(gcSchema) })
  @ApiResponse({ status: 200, schema: gcReportSchema })
  runGc(@Body() body: unknown, @Query() query: unknown) {
    validate(noQuerySchema, query, 'query');
    const options = validate(gcSchema, body ?? {}, 'gc options');
    return this.gc.run({
      ...(options.grace_seconds !== undefined && { graceMs: options.grace_seconds * 1000 }),
      ...(options.dry_run !== undefined && { dryRun: options.dry_run }),
      ...(options.force !== undefined && { force: options.force }),
    });
  }

  @Post('verify')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Re-hash stored content; report (and with repair, remove) missing or corrupt content',
    description:
      'Lists at most 1000 hashes per kind (`missing`, `corrupt`, `repaired`, `unreadable`, `notFound`); the `…Count` ' +
      'fields are exact and `truncated` is true when a list was cut. Named hashes (`sha256`) the server does not ' +
      'hold are listed in `notFound` (with `notFoundCount`; when it holds them all, `notFound` is empty and ' +
      '`notFoundCount` 0) and the rest are checked; naming a single hash the server does not hold is 404 NOT_FOUND.',
  })
  @ApiBody({ required: false, schema: bodySchema(verifySchema) })
  @ApiResponse({ status: 200, schema: verifyReportSchema })
  @ApiResponse({
    status: 404,
    description: 'the only named sha256 is not held by the server',
    schema: { $ref: '#/components/schemas/Error' },
  })
  runVerify(@Body() body: unknown, @Query() query: unknown) {
    validate(noQuerySchema, query, 'query');
    const options = validate(verifySchema, body ?? {}, 'verify options');
    return this.verify.run({
      ...(options.repair !== undefined && { repair: options.repair }),
      ...(options.sha256 !== undefined && { sha256s: options.sha256 }),
    });
  }
}
