export { main } from './main.js';
export { EXIT_CODE_BY_CODE } from '@org/core';
export { exitCodeFor, exitCodeForFailures } from './errors.js';
export { loadCliConfig, configPath, defaultCliConfig, type CliConfig } from './config/cli-config.js';
export { parseCliConfig } from './config/cli-config-file.js';
export { configDir, dataDir, cacheDir } from './config/paths.js';
