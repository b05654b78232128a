export { loadConfig, type ApiConfig } from './config.js';
export { buildApp, storeOptions } from './app.js';
