import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../api-keys/auth.decorators.js';
import { ContentStore } from '../content/content-store.js';
import { METADATA_STORE, type MetadataStore } from '../store/store.js';
import type { ReadinessReport } from './readiness-report.js';
import { ReadinessService } from './readiness.service.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * `GET /` and `GET /health` (PutPlace shapes; ufs adds the storage status), and the probes Kubernetes expects:
 * `GET /health/live` (the process answers) and `GET /health/ready` (it can serve writes). No API key needed.
 */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(ContentStore) private readonly content: ContentStore,
    @Inject(ReadinessService) private readonly readiness: ReadinessService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Service banner' })
  root() {
    return { message: 'ufs dedup server (PutPlace-compatible API)', status: 'running' };
  }

  @Get('health')
  @Public()
  @ApiOperation({ summary: 'Database and storage status' })
  async health() {
    const database = await this.store.ping().then(
      () => 'connected' as const,
      () => 'disconnected' as const,
    );
    const storage = await this.content.backend.list('', { pageSize: 1 }).then(
      () => 'available' as const,
      () => 'unavailable' as const,
    );
    return {
      status: database === 'connected' && storage === 'available' ? 'healthy' : 'degraded',
      database: { status: database, type: this.store.kind },
      // Anyone may ask: the mount is named by its kind only, never by its path, bucket or host.
      storage: { status: storage, type: this.content.backend.protocol, mount: this.content.backend.protocol },
    };
  }

  @Get('health/live')
  @Public()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Liveness: the process is up and answers (no I/O)',
    description: 'For a liveness probe: 200 as long as the process serves HTTP at all; it checks no store or mount.',
  })
  @ApiResponse({ status: 200, schema: { type: 'object', properties: { status: { enum: ['alive'] } } } })
  live() {
    return { status: 'alive' };
  }

  @Get('health/ready')
  @Public()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Readiness: can this replica serve writes now? 200 ready, 503 not (with what failed)',
    description:
      'For a readiness probe or a load balancer health check. The metadata store takes one real write (a row of ' +
      'its own); the content mount a write and delete of `_probe/<replica id>` when the content probe is on ' +
      '(`readinessContentProbe`, `UFS_READY_CONTENT_PROBE`), else a listing. Results are reused for ' +
      '`readinessCacheMs` (2 s) and shared by concurrent requests; a check with no answer within ' +
      '`readinessTimeoutMs` (1 s) fails. A failed check gives its error code and a short reason, never a path.',
  })
  @ApiResponse({ status: 200, description: 'ready', schema: ref('Readiness') })
  @ApiResponse({ status: 503, description: 'not ready: the failed checks say why', schema: ref('Readiness') })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await this.readiness.check();
    reply.status(report.status === 'ready' ? 200 : 503);
    return report;
  }
}
