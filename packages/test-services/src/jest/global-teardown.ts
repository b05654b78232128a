import { reportMongo } from '../mongo.js';
import { stopServices } from '../services/index.js';
import { takeState } from './state.js';

/**
 * Jest globalTeardown (jest runs it even when tests fail): stops what the global setup started, restores the
 * environment, and repeats the MongoDB line so it is visible next to the test summary.
 */
export default async function globalTeardown(): Promise<void> {
  const state = takeState();
  if (!state) return;
  for (const [key, value] of Object.entries(state.previousEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const started = state.services.filter((s) => !s.reused);
  const t0 = Date.now();
  try {
    await stopServices(state.services);
  } finally {
    if (started.length) {
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      process.stderr.write(`[ufs test-services] stopped ${started.map((s) => s.name).join(', ')} in ${seconds} s\n`);
    }
    if (state.mongodb) reportMongo();
  }
}
