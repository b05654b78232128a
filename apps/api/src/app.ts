import { Logger, type LogLevel } from '@nestjs/common';
import {
  bindContentMount,
  contentLostOnRestart,
  createDedupApp,
  dataDirStoreFile,
  openContentMount,
  guardAgainstOlderVersions,
  openStore,
  storeFileExposure,
  type DedupApp,
  type StoreOptions,
} from '@org/server';
import { mongoDatabaseName, type ApiConfig } from './config.js';
import { checkContentMount, contentPlace, prepareDataDir, refuseSetting } from './start-checks.js';

const LOG_LEVELS: Record<ApiConfig['UFS_LOG_LEVEL'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/**
 * The metadata store the configuration selects: MongoDB when a URI is given, else SQLite in UFS_DATA_DIR's store file
 * (`ufs.db`, or the `metadata.sqlite` of a data folder made by an older `ufs serve`; both there is refused), the
 * layout `ufs serve --data-dir` reads too.
 */
export function storeOptions(config: ApiConfig): StoreOptions {
  if (!config.UFS_MONGODB_URI)
    return { sqlitePath: dataDirStoreFile(config.UFS_DATA_DIR, refuseSetting('UFS_DATA_DIR', config.UFS_DATA_DIR)) };
  // The driver's dbName wins over the URI's database, so it is passed only when set or when the URI names none.
  const dbName = mongoDatabaseName(config.UFS_MONGODB_URI, config.UFS_MONGODB_DB);
  return dbName === undefined ? { mongoUri: config.UFS_MONGODB_URI } : { mongoUri: config.UFS_MONGODB_URI, dbName };
}

/** Builds the API (not listening yet) from a validated configuration. */
export async function buildApp(
  config: ApiConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ app: DedupApp; close(): Promise<void> }> {
  // The store is opened once, on its own and silently, before the app: a MongoDB that does not answer, or a URI it
  // cannot parse, fails start-up with one clear error instead of Nest's logged stack traces; the app then runs on it.
  // A UFS_DATA_DIR that is a file or cannot be written is named as such (78), before SQLite says EEXIST on it.
  await prepareDataDir(config);
  const { store, close: closeStore } = await openStore(storeOptions(config));
  let mount: Awaited<ReturnType<typeof openContentMount>> | undefined;
  try {
    const place = contentPlace(config);
    mount = await openContentMount(place.target, env);
    // Content a restart loses beside a store that keeps its records: refused (loadStartConfig says so earlier).
    const lost = contentLostOnRestart(mount.backend.protocol, storeOptions(config));
    if (lost) throw refuseSetting(place.variable, place.shown)(lost);
    // A mount the server cannot write fails the start, naming its variable, rather than every upload later.
    await checkContentMount(mount, place);
    // The content must be this store's (its marker names the store): a new store beside the content of another would
    // take all of it for orphans. Then the rollback guard beside ufs.db (an older version cannot open it).
    const binding = await bindContentMount(store, mount.backend, {
      refuse: refuseSetting(place.variable, place.shown),
      adopt: config.UFS_ADOPT_CONTENT,
      adoptHint: 'UFS_ADOPT_CONTENT=true',
    });
    const options = storeOptions(config);
    if ('sqlitePath' in options) await guardAgainstOlderVersions(options.sqlitePath);
    const app = await createDedupApp({
      store: { instance: store },
      content: mount.backend,
      contentDescription: mount.description,
      maxUploadBytes: config.UFS_MAX_UPLOAD_BYTES,
      maxJsonBytes: config.UFS_MAX_JSON_BYTES,
      rateLimitPerMinute: config.UFS_RATE_LIMIT_PER_MINUTE,
      keyCacheMs: config.UFS_KEY_CACHE_MS,
      gcGraceMs: config.UFS_GC_GRACE_SECONDS * 1000,
      uploadExpiryMs: config.UFS_UPLOAD_EXPIRY_SECONDS * 1000,
      bodyIdleTimeoutMs: config.UFS_BODY_IDLE_TIMEOUT_SECONDS * 1000,
      publicMetrics: config.UFS_PUBLIC_METRICS,
      readinessCacheMs: config.UFS_READY_CACHE_MS,
      readinessTimeoutMs: config.UFS_READY_TIMEOUT_MS,
      readinessContentProbe: config.UFS_READY_CONTENT_PROBE,
      ...(config.UFS_REPLICA_ID !== undefined && { replicaId: config.UFS_REPLICA_ID }),
      ...(config.UFS_SIGNING_SECRET !== undefined && { signingSecret: config.UFS_SIGNING_SECRET }),
      ...(config.UFS_TUS_CORS_ORIGIN !== undefined && { tusCorsOrigin: config.UFS_TUS_CORS_ORIGIN }),
      logLevels: LOG_LEVELS[config.UFS_LOG_LEVEL],
      // A container's log: log, warn and debug on stdout, error and fatal on stderr (where a log collector often
      // reads every line as an error); stdout carries nothing a program reads. Colours only on a terminal.
      logStream: 'split',
      shutdownTimeoutMs: config.UFS_SHUTDOWN_TIMEOUT_SECONDS * 1000,
    });
    // Said through the app's logger (its levels and streams).
    const log = new Logger('ufs.store');
    if (binding.note) log.log(binding.note);
    const exposed = 'sqlitePath' in options ? storeFileExposure(options.sqlitePath) : undefined;
    if (exposed) log.warn(exposed);
    const opened = mount;
    return {
      app,
      async close() {
        await app.close();
        await closeStore();
        await opened.dispose();
      },
    };
  } catch (err) {
    await mount?.dispose();
    await closeStore();
    throw err;
  }
}
