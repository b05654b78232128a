import { Module, type DynamicModule } from '@nestjs/common';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { ContentModule } from './content/content.module.js';
import { DedupCoreModule, type DedupModuleAsyncOptions } from './dedup-core.module.js';
import type { DedupModuleOptions } from './dedup-options.js';
import { FilesModule } from './files/files.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';

const FEATURES = [FilesModule, ContentModule, ApiKeysModule, HealthModule, MetricsModule];

/**
 * The ufs dedup server as a Nest module: files (metadata), content (upload/download/tus/gc/verify), api-keys,
 * health and metrics. Runs on the Fastify platform (see `configureDedupApp`).
 */
@Module({})
export class DedupModule {
  static forRoot(options: DedupModuleOptions): DynamicModule {
    return {
      module: DedupModule,
      imports: [DedupCoreModule.forRoot(options), ...FEATURES],
      exports: [DedupCoreModule],
    };
  }

  static forRootAsync(options: DedupModuleAsyncOptions): DynamicModule {
    return {
      module: DedupModule,
      imports: [DedupCoreModule.forRootAsync(options), ...FEATURES],
      exports: [DedupCoreModule],
    };
  }
}
