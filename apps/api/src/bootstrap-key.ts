#!/usr/bin/env node
// Creates the first API key (every scope) directly in the configured store and prints it once.
// `node dist/bootstrap-key.js [name]`: an admin command with store access, never an HTTP endpoint.
import { createBootstrapKey, openStore } from '@org/server';
import { storeOptions } from './app.js';
import { loadConfig } from './config.js';
import { exitWithError } from './fail.js';
import { prepareDataDir } from './start-checks.js';

try {
  const config = loadConfig(process.env);
  await prepareDataDir(config);
  const { store, close } = await openStore(storeOptions(config));
  try {
    const { apiKey, record } = await createBootstrapKey(store, {
      name: process.argv[2] ?? 'bootstrap',
      description: 'created with the bootstrap-key script of the API',
    });
    process.stdout.write(`${apiKey}\n`);
    process.stderr.write(
      `created API key "${record.name}" (id ${record.id}, scopes ${record.scopes.join(',')}); it is shown only once\n`,
    );
  } finally {
    await close();
  }
} catch (err) {
  exitWithError(err, 'create the bootstrap key');
}
