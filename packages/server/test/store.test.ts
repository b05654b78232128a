import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll } from '@jest/globals';
import { getConnectionToken } from '@nestjs/mongoose';
import { NestFactory } from '@nestjs/core';
import { mongoBanner, mongoTestUri } from '@org/test-services';
import { SqliteStore, type MetadataStore } from '../src/index.js';
import { MongoStoreModule } from '../src/mongo.js';
import { RAW_STORE } from '../src/store/raw-store.js';
import { storeContract } from './store/contract.js';

beforeAll(() => {
  console.log(`store contract: embedded SQLite runs always; ${mongoBanner()}`);
});

storeContract('embedded SQLite (two connections on one WAL file)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ufs-store-'));
  const store = new SqliteStore({ path: join(dir, 'ufs.db') });
  const second = new SqliteStore({ path: join(dir, 'ufs.db') });
  return {
    store,
    second,
    async close() {
      await store.close();
      await second.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const mongoUri = mongoTestUri();
if (mongoUri) {
  storeContract('MongoDB', async () => {
    const dbName = `ufs_test_${Date.now().toString(36)}`;
    const open = async () => {
      const ctx = await NestFactory.createApplicationContext(MongoStoreModule.forRoot({ uri: mongoUri, dbName }), {
        logger: false,
      });
      return { ctx, store: ctx.get<MetadataStore>(RAW_STORE) };
    };
    const a = await open();
    const b = await open();
    return {
      store: a.store,
      second: b.store,
      async close() {
        const connection = a.ctx.get<{ db?: { dropDatabase(): Promise<unknown> } }>(getConnectionToken(), {
          strict: false,
        });
        await connection.db?.dropDatabase();
        await a.ctx.close();
        await b.ctx.close();
      },
    };
  });
}
