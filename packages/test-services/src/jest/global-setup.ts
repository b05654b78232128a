import { reportMongo } from '../mongo.js';
import { ensureServices, servicesEnv, stopServices } from '../services/index.js';
import { wantedServices, type JestProjectConfigLike } from './config.js';
import { saveState, takeState } from './state.js';

const log = (message: string): void => {
  process.stderr.write(`[ufs test-services] ${message}\n`);
};

/**
 * Jest globalSetup: starts (or reuses from the environment) the services the project asks for in
 * `globals.ufsTestServices` / UFS_TEST_SERVICES and writes their variables into process.env, which the test
 * workers inherit. "mongodb" in the list prints whether the MongoDB suites run. Pair it with
 * `@org/test-services/jest-global-teardown`.
 */
export default async function globalSetup(
  _globalConfig?: unknown,
  projectConfig?: JestProjectConfigLike,
): Promise<void> {
  const wanted = wantedServices(projectConfig);
  if (wanted.mongodb) reportMongo();

  // Watch mode runs setup again: stop anything a previous run left behind first.
  const previous = takeState();
  if (previous) await stopServices(previous.services);

  if (wanted.services.length === 0) {
    if (wanted.mongodb) saveState({ services: [], previousEnv: {}, mongodb: true });
    return;
  }
  const services = await ensureServices(wanted.services, process.env, { log });
  const env = servicesEnv(services);
  const previousEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  saveState({ services, previousEnv, mongodb: wanted.mongodb });
  for (const s of services) {
    if (s.reused) log(`${s.description}: using ${s.summary} from the environment`);
  }
}
