import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../api-keys/auth.decorators.js';
import { ContentStore } from '../content/content-store.js';
import { METADATA_STORE, type MetadataStore } from '../store/store.js';

/** `GET /` and `GET /health` (PutPlace shapes; ufs adds the storage status). No API key needed. */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(ContentStore) private readonly content: ContentStore,
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
}
