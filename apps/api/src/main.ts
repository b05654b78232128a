#!/usr/bin/env node
// The deployable API: `node dist/main.js` (configuration from the environment, see README.md).
import { EXIT_CODE_BY_CODE, isUfsError } from '@org/core';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

try {
  const config = loadConfig(process.env);
  const { app } = await buildApp(config);
  await app.listen({ port: config.UFS_PORT, host: config.UFS_HOST });
  process.stdout.write(`ufs api listening on ${await app.getUrl()} (docs at /docs)\n`);
} catch (err) {
  process.stderr.write(`${isUfsError(err) ? err.message : String((err as Error)?.stack ?? err)}\n`);
  // The same statuses as the `ufs` command (78 bad configuration, 69 a service that does not answer, …).
  process.exit(isUfsError(err) ? EXIT_CODE_BY_CODE[err.code] : 1);
}
