import { NestFactory } from '@nestjs/core';
import { loadMongoStoreModule } from '../lazy.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import type { StoreOptions } from '../dedup-options.js';
import { RAW_STORE } from './raw-store.js';
import type { MetadataStore } from './store.js';

/**
 * Opens a metadata store outside a running server (admin commands such as `ufs server key create --bootstrap`,
 * maintenance scripts). Close it when done.
 */
export async function openStore(options: StoreOptions): Promise<{ store: MetadataStore; close(): Promise<void> }> {
  if ('instance' in options) return { store: options.instance, close: async () => undefined };
  if ('sqlitePath' in options) {
    const store = new SqliteStore({ path: options.sqlitePath });
    return { store, close: () => store.close() };
  }
  const MongoStoreModule = await loadMongoStoreModule();
  const context = await NestFactory.createApplicationContext(
    MongoStoreModule.forRoot({ ...options, uri: options.mongoUri }),
    // Silent: a failure (UNAVAILABLE when no server answers) is thrown to the caller, not logged with its stack.
    { logger: false, abortOnError: false },
  );
  return { store: context.get<MetadataStore>(RAW_STORE), close: () => context.close() };
}
