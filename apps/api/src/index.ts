export { loadConfig, type ApiConfig } from './config.js';
