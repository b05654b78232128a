// `@org/server/mongo`: the MongoDB store on its own entry, so that importing `@org/server` does not load mongoose
// and the MongoDB driver (a server on the embedded store never needs them; `DedupModule` loads them when configured).
export { MongoStore } from './mongo/mongo-store.js';
export { MongoStoreModule, type MongoStoreOptions, type MongoStoreAsyncOptions } from './mongo/mongo-store.module.js';
