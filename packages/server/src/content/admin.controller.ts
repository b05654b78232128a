import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireScope } from '../api-keys/auth.decorators.js';
import { validate } from '../http/validate.js';
import { GcService } from './gc.service.js';
import { VerifyService } from './verify.service.js';

const gcSchema = z
  .object({ grace_seconds: z.number().int().min(0).optional(), dry_run: z.boolean().optional() })
  .strict();
const verifySchema = z
  .object({
    repair: z.boolean().optional(),
    sha256: z
      .array(z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters'))
      .max(10_000)
      .optional(),
  })
  .strict();

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
      '`truncated` is true when a list was cut.',
  })
  runGc(@Body() body: unknown) {
    const options = validate(gcSchema, body ?? {}, 'gc options');
    return this.gc.run({
      ...(options.grace_seconds !== undefined && { graceMs: options.grace_seconds * 1000 }),
      ...(options.dry_run !== undefined && { dryRun: options.dry_run }),
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
  @ApiResponse({
    status: 404,
    description: 'the only named sha256 is not held by the server',
    schema: { $ref: '#/components/schemas/Error' },
  })
  runVerify(@Body() body: unknown) {
    const options = validate(verifySchema, body ?? {}, 'verify options');
    return this.verify.run({
      ...(options.repair !== undefined && { repair: options.repair }),
      ...(options.sha256 !== undefined && { sha256s: options.sha256 }),
    });
  }
}
