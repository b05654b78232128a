/**
 * The checked-in registry of modules the server loads only when its configuration needs them: MongoDB (mongoose,
 * the driver and @nestjs/mongoose: ~0.2 s and ~430 files to load) only when a MongoDB store is configured, so a
 * server on the embedded store starts without it.
 */
export const loadMongoStoreModule = async () => (await import('./mongo/mongo-store.module.js')).MongoStoreModule;
