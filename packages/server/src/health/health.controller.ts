import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../api-keys/auth.decorators.js';
import { ContentStore } from '../content/content-store.js';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { METADATA_STORE, type MetadataStore } from '../store/store.js';
import type { ReadinessReport } from './readiness-report.js';
import { JoinedChecks } from './joined-checks.js';
import { ReadinessService } from './readiness.service.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * `GET /` and `GET /health` (PutPlace shapes; ufs adds the storage status), and the probes Kubernetes expects:
 * `GET /health/live` (the process answers) and `GET /health/ready` (its checks pass: the store takes a write, the
 * mount answers or, with the content probe, takes an object). No API key needed.
 */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(ContentStore) private readonly content: ContentStore,
    @Inject(ReadinessService) private readonly readiness: ReadinessService,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
  ) {}

  /** `GET /health`'s checks under way: joined by later requests, not started again. */
  private readonly checks = new JoinedChecks<'database' | 'storage'>();

  @Get()
  @Public()
  @ApiOperation({ summary: 'Service banner' })
  @ApiResponse({
    status: 200,
    schema: { type: 'object', properties: { message: { type: 'string' }, status: { enum: ['running'] } } },
  })
  root() {
    return { message: 'ufs dedup server (PutPlace-compatible API)', status: 'running' };
  }

  @Get('health')
  @Public()
  @ApiOperation({
    summary: 'Database and storage status',
    description:
      'Reads only (a ping, a listing). A part with no answer within `readinessTimeoutMs` (1 s) is reported as ' +
      '`disconnected` or `unavailable`; a check still running is joined by later requests, not started again.',
  })
  @ApiResponse({
    status: 200,
    schema: {
      type: 'object',
      properties: {
        status: { enum: ['healthy', 'degraded'] },
        database: {
          type: 'object',
          properties: { status: { enum: ['connected', 'disconnected'] }, type: { type: 'string' } },
        },
        storage: {
          type: 'object',
          properties: {
            status: { enum: ['available', 'unavailable'] },
            type: { type: 'string' },
            mount: { type: 'string' },
          },
        },
      },
    },
  })
  async health() {
    const [connected, available] = await Promise.all([
      this.settled('database', () => this.store.ping()),
      this.settled('storage', () => this.content.backend.list('', { pageSize: 1 })),
    ]);
    const database = connected ? ('connected' as const) : ('disconnected' as const);
    const storage = available ? ('available' as const) : ('unavailable' as const);
    return {
      status: database === 'connected' && storage === 'available' ? 'healthy' : 'degraded',
      database: { status: database, type: this.store.kind },
      // Anyone may ask: the mount is named by its kind only, never by its path, bucket or host.
      storage: { status: storage, type: this.content.backend.protocol, mount: this.content.backend.protocol },
    };
  }

  /** Whether a check succeeds within `readinessTimeoutMs` (false when it fails or has not answered by then). */
  private settled(name: 'database' | 'storage', work: () => Promise<unknown>): Promise<boolean> {
    return this.checks.run(name, work, this.config.readinessTimeoutMs).then(
      () => true,
      () => false,
    );
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
    summary: "Readiness: do this replica's checks pass now? 200 ready, 503 not (with what failed)",
    description:
      'For a readiness probe or a load balancer health check. The metadata store takes one real write (a row of ' +
      'its own); the content mount, when the content probe is on (`readinessContentProbe`, ' +
      '`UFS_READY_CONTENT_PROBE`), what an upload does (a write under `_tmp/` moved into a new folder ' +
      '`_probe-<replica id>-<nonce>/`, then removed), else a listing (reads only). Results are reused for ' +
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
