#!/usr/bin/env node
// The deployable API: `node dist/main.js` (configuration from the environment, see README.md).
import { buildApp } from './app.js';
import { exitWithError } from './fail.js';
import { listen } from './listen.js';
import { loadStartConfig } from './start-checks.js';

try {
  const config = await loadStartConfig(process.env);
  const { app, close } = await buildApp(config);
  let url: string;
  try {
    url = await listen(app, config.UFS_HOST, config.UFS_PORT);
  } catch (err) {
    await close();
    throw err;
  }
  process.stdout.write(`ufs api listening on ${url} (docs at /docs)\n`);
  // SIGTERM / SIGINT: the app drains within UFS_SHUTDOWN_TIMEOUT_SECONDS (no new connections; requests under way may
  // finish until its last fifth, left for their handlers to settle; a second signal ends the process at once, see
  // createDedupApp), then the store is closed (SQLite checkpoints its log; a MongoDB connection ends) and the content
  // mount released.
  const signal = await new Promise<string>((resolve) => {
    for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => resolve(name));
  });
  process.stdout.write(`${signal}: stopping\n`);
  await close();
  // Anything still open by then must not hold the process.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
} catch (err) {
  exitWithError(err, 'start the API');
}
