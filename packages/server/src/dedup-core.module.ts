import {
  Inject,
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ContentStore } from './content/content-store.js';
import {
  CONTENT_BACKEND,
  DEDUP_CONFIG,
  DEDUP_OPTIONS,
  resolveConfig,
  type DedupModuleOptions,
} from './dedup-options.js';
import { DedupExceptionFilter } from './http/exception.filter.js';
import { MetricsService } from './metrics/metrics.service.js';
import { timedStore } from './metrics/timed-store.js';
import { loadMongoStoreModule } from './lazy.js';
import { SignedUrls } from './signing/signed-urls.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { CatalogueEpoch } from './store/catalogue-epoch.js';
import { RAW_STORE } from './store/raw-store.js';
import { METADATA_STORE, type MetadataStore } from './store/store.js';

/** Closes a store this module opened (the embedded one) when the application shuts down. */
class OwnedStore implements OnApplicationShutdown {
  constructor(@Inject(RAW_STORE) private readonly store: MetadataStore & { owned?: boolean }) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.store.owned) await this.store.close();
  }
}

function embeddedStore(options: DedupModuleOptions): MetadataStore {
  resolveConfig(options); // invalid options fail here, before a store (and its checkpoint worker) is opened
  const store = options.store;
  if ('instance' in store) return store.instance;
  if ('sqlitePath' in store) return Object.assign(new SqliteStore({ path: store.sqlitePath }), { owned: true });
  throw new Error('[ufs] DedupModule: a MongoDB store was configured but the module was set up for the embedded one');
}

const SHARED: Provider[] = [
  { provide: DEDUP_CONFIG, inject: [DEDUP_OPTIONS], useFactory: resolveConfig },
  { provide: CONTENT_BACKEND, inject: [DEDUP_OPTIONS], useFactory: (o: DedupModuleOptions) => o.content },
  { provide: ContentStore, inject: [CONTENT_BACKEND], useFactory: (backend) => new ContentStore(backend) },
  MetricsService,
  { provide: METADATA_STORE, inject: [RAW_STORE, MetricsService], useFactory: timedStore },
  OwnedStore,
  SignedUrls,
  CatalogueEpoch,
  { provide: APP_FILTER, useClass: DedupExceptionFilter },
];
const EXPORTS = [
  DEDUP_CONFIG,
  DEDUP_OPTIONS,
  CONTENT_BACKEND,
  ContentStore,
  MetricsService,
  METADATA_STORE,
  SignedUrls,
  CatalogueEpoch,
];

export interface DedupModuleAsyncOptions {
  /** Which store the factory will configure: decides the module graph, so it is given up front. Default embedded. */
  store?: 'embedded' | 'mongo';
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  /** Called once for the module, and once more for the MongoDB connection when `store` is `mongo`. */
  useFactory: (...args: never[]) => DedupModuleOptions | Promise<DedupModuleOptions>;
}

/** Options, config, store, content store and metrics for every feature module (global within the app). */
@Module({})
export class DedupCoreModule {
  static forRoot(options: DedupModuleOptions): DynamicModule {
    const mongo = 'mongoUri' in options.store ? options.store : undefined;
    return {
      module: DedupCoreModule,
      global: true,
      imports: mongo ? [loadMongoStoreModule().then((m) => m.forRoot({ ...mongo, uri: mongo.mongoUri }))] : [],
      providers: [
        { provide: DEDUP_OPTIONS, useValue: options },
        ...(mongo ? [] : [{ provide: RAW_STORE, useValue: embeddedStore(options) }]),
        ...SHARED,
      ],
      exports: EXPORTS,
    };
  }

  static forRootAsync(options: DedupModuleAsyncOptions): DynamicModule {
    const mongo = options.store === 'mongo';
    const mongoModule = async () =>
      (await loadMongoStoreModule()).forRootAsync({
        imports: options.imports ?? [],
        inject: options.inject ?? [],
        useFactory: async (...args: never[]) => {
          const store = (await options.useFactory(...args)).store;
          if (!('mongoUri' in store)) throw new Error('[ufs] DedupModule: store "mongo" needs store.mongoUri');
          return { ...store, uri: store.mongoUri };
        },
      });
    return {
      module: DedupCoreModule,
      global: true,
      imports: [...(options.imports ?? []), ...(mongo ? [mongoModule()] : [])],
      providers: [
        { provide: DEDUP_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        ...(mongo ? [] : [{ provide: RAW_STORE, inject: [DEDUP_OPTIONS], useFactory: embeddedStore }]),
        ...SHARED,
      ],
      exports: EXPORTS,
    };
  }
}
