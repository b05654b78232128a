#!/usr/bin/env node
// The deployable API: `node dist/main.js` (configuration from the environment, see README.md).
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { exitWithError } from './fail.js';

try {
  const config = loadConfig(process.env);
  const { app, close } = await buildApp(config);
  try {
    await app.listen({ port: config.UFS_PORT, host: config.UFS_HOST });
  } catch (err) {
    await close();
    throw err;
  }
  process.stdout.write(`ufs api listening on ${await app.getUrl()} (docs at /docs)\n`);
  // SIGTERM / SIGINT: stop taking requests, then close the store (SQLite checkpoints its log; a MongoDB connection
  // ends) and the content mount. The listeners stay on: Nest's own shutdown hook re-raises the signal after its
  // cleanup, and that must not end the process before the store is closed.
  const signal = await new Promise<string>((resolve) => {
    for (const name of ['SIGINT', 'SIGTERM'] as const) process.on(name, () => resolve(name));
  });
  process.stdout.write(`${signal}: stopping\n`);
  await close();
  // Keep-alive sockets of clients must not hold the process.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
} catch (err) {
  exitWithError(err, 'start the API');
}
