/**
 * The checked-in registry of heavy modules loaded only by the commands (or branches) that need them, so that
 * `ufs upload`, `ufs ls` and the HTTP-only admin commands start without loading NestJS, and `ufs --version` without
 * loading oclif.
 */
export const loadCliRunner = () => import('./runner.js');

export const loadServerPackage = () => import('@org/server');

/** tus-js-client (~50 ms to load): only a scan that has a large file to upload needs it. */
export const loadTusUpload = () => import('./api/tus-upload.js');

/** The config file parser (yaml, zod: ~100 ms to load): only when a config file exists. */
export const loadConfigParser = () => import('./config/cli-config-file.js');
