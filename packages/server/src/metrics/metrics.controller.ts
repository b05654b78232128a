import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PublicWhen, RequireScope } from '../api-keys/auth.decorators.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('metrics')
@ApiSecurity('api-key')
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(MetricsService) private readonly metrics: MetricsService) {}

  @Get()
  @RequireScope('read')
  @PublicWhen('publicMetrics')
  @ApiOperation({ summary: 'Prometheus text: requests, bytes in/out, dedup hits, store latency' })
  async scrape(@Res() reply: FastifyReply) {
    return reply.type(this.metrics.registry.contentType).send(await this.metrics.text());
  }
}
