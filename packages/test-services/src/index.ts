// Public API of @org/test-services: real test servers on 127.0.0.1 for ufs tests.
export { freePort, freePorts } from './net.js';
export { waitUntil, tailFile, WaitTimeoutError, type WaitOptions } from './wait.js';
export { startRadosgw, type RadosgwHandle, type RadosgwOptions, type S3Endpoint } from './radosgw.js';
export {
  SERVICES,
  SERVICE_NAMES,
  ensureServices,
  isServiceName,
  parseServiceNames,
  servicesEnv,
  startServices,
  stopServices,
  type RunningService,
  type ServiceDefinition,
  type ServiceInfo,
  type ServiceName,
  type StartOptions,
  type StartedService,
} from './services/index.js';
export { S3_ENV, configureS3, s3Env, s3FromEnv } from './services/s3.js';
export { MONGODB_ENV, mongoBanner, mongoTestUri, redactUri, reportMongo } from './mongo.js';
export { JEST_GLOBALS_KEY, SERVICES_ENV, wantedServices, type WantedServices } from './jest/config.js';
export { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from './services/azurite.js';
export { startWebdavServer, type WebdavTestServer } from './services/webdav.js';
export { startDropboxFake, type DropboxFake } from './fakes/dropbox-server.js';
export { DropboxApiError, DropboxStore, dropboxContentHash } from './fakes/dropbox-store.js';
