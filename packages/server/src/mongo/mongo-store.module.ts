import { Module, type DynamicModule, type InjectionToken, type ModuleMetadata } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { UfsError, redactUrl } from '@org/core';
import { RAW_STORE } from '../store/raw-store.js';
import { ApiKeyDoc, ApiKeySchema } from './schemas/api-key.schema.js';
import { ContentDoc, ContentSchema } from './schemas/content.schema.js';
import { CounterDoc, CounterSchema } from './schemas/counter.schema.js';
import { FileDoc, FileSchema } from './schemas/file.schema.js';
import { LeaseDoc, LeaseSchema } from './schemas/lease.schema.js';
import { SettingDoc, SettingSchema } from './schemas/setting.schema.js';
import { UploadDoc, UploadSchema } from './schemas/upload.schema.js';
import { MongoStore } from './mongo-store.js';

export interface MongoStoreOptions {
  uri: string;
  /**
   * Database name. The driver uses it even when the URI names another database; leave it unset to use the URI's
   * (the driver's default, `test`, when the URI names none).
   */
  dbName?: string;
  /**
   * Milliseconds to wait for a server at start (the driver keeps trying meanwhile). Default: the URI's
   * `serverSelectionTimeoutMS` parameter, else 10 s.
   */
  serverSelectionTimeoutMS?: number;
  /** Further connection attempts after the first one timed out, 3 s apart. Default 0: fail at once, clearly. */
  connectRetries?: number;
}

/**
 * The error start-up fails with, naming the URI without its password: CONFIG_INVALID when the driver cannot parse
 * the URI or its options, UNAVAILABLE when no server answered.
 */
function connectionError(uri: string) {
  return (error: Error) =>
    error.name === 'MongoParseError'
      ? new UfsError('CONFIG_INVALID', `[ufs] invalid MongoDB URI ${redactUrl(uri)}: ${error.message}`, {
          cause: error,
        })
      : new UfsError('UNAVAILABLE', `[ufs] cannot reach MongoDB at ${redactUrl(uri)}: ${error.message}`, {
          cause: error,
        });
}

/** Provides METADATA_STORE backed by MongoDB through @nestjs/mongoose. Indexes are built at start (autoIndex). */
const FEATURES = () =>
  MongooseModule.forFeature([
    { name: FileDoc.name, schema: FileSchema },
    { name: ContentDoc.name, schema: ContentSchema },
    { name: ApiKeyDoc.name, schema: ApiKeySchema },
    { name: CounterDoc.name, schema: CounterSchema },
    { name: UploadDoc.name, schema: UploadSchema },
    { name: SettingDoc.name, schema: SettingSchema },
    { name: LeaseDoc.name, schema: LeaseSchema },
  ]);

function connectionOptions(options: MongoStoreOptions) {
  const timeoutInUri = /[?&]serverSelectionTimeoutMS=/i.test(options.uri);
  return {
    uri: options.uri,
    dbName: options.dbName,
    ...(options.serverSelectionTimeoutMS !== undefined || !timeoutInUri
      ? { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000 }
      : {}),
    autoIndex: true,
    // @nestjs/mongoose retries 9 times 3 s apart by default (over 2 minutes with a 10 s selection timeout).
    retryAttempts: options.connectRetries ?? 0,
    connectionErrorFactory: connectionError(options.uri),
  };
}

export interface MongoStoreAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  useFactory: (...args: never[]) => MongoStoreOptions | Promise<MongoStoreOptions>;
}

@Module({})
export class MongoStoreModule {
  static forRoot(options: MongoStoreOptions): DynamicModule {
    const { uri, ...rest } = connectionOptions(options);
    return {
      module: MongoStoreModule,
      imports: [MongooseModule.forRoot(uri, rest), FEATURES()],
      providers: [MongoStore, { provide: RAW_STORE, useExisting: MongoStore }],
      exports: [RAW_STORE],
    };
  }

  static forRootAsync(options: MongoStoreAsyncOptions): DynamicModule {
    return {
      module: MongoStoreModule,
      imports: [
        MongooseModule.forRootAsync({
          imports: options.imports ?? [],
          inject: options.inject ?? [],
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          useFactory: async (...args: any[]) => connectionOptions(await options.useFactory(...(args as never[]))),
        }),
        FEATURES(),
      ],
      providers: [MongoStore, { provide: RAW_STORE, useExisting: MongoStore }],
      exports: [RAW_STORE],
    };
  }
}
