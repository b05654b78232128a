import { parseServiceNames, type ServiceName } from '../services/index.js';

/** The `globals` key a package's jest.config.js uses to ask for services: `globals: { ufsTestServices: ['s3'] }`. */
export const JEST_GLOBALS_KEY = 'ufsTestServices';
/** Environment override of the list (comma-separated; empty or "none" = nothing). */
export const SERVICES_ENV = 'UFS_TEST_SERVICES';

export interface WantedServices {
  /** Services to start (or reuse from the environment). */
  services: ServiceName[];
  /** Whether the package has MongoDB suites (then the MongoDB banner is printed). */
  mongodb: boolean;
  /** Where the list came from, for the log line. */
  source: string;
}

/** The part of jest's project config the setup reads. */
export interface JestProjectConfigLike {
  globals?: Record<string, unknown>;
}

/**
 * Reads which services the tests need: UFS_TEST_SERVICES when set, otherwise the project config's
 * `globals.ufsTestServices` (an array or a comma-separated string). "mongodb" is accepted as a name: it is never
 * started (it cannot run here), it only turns on the report of whether MongoDB suites run.
 */
export function wantedServices(
  projectConfig?: JestProjectConfigLike,
  env: NodeJS.ProcessEnv = process.env,
): WantedServices {
  let raw: unknown;
  let source: string;
  if (env[SERVICES_ENV] !== undefined) {
    raw = env[SERVICES_ENV] === 'none' ? '' : env[SERVICES_ENV];
    source = SERVICES_ENV;
  } else {
    raw = projectConfig?.globals?.[JEST_GLOBALS_KEY] ?? [];
    source = `jest globals.${JEST_GLOBALS_KEY}`;
  }
  if (typeof raw !== 'string' && !(Array.isArray(raw) && raw.every((x) => typeof x === 'string'))) {
    throw new Error(
      `${source} must be a list of service names or a comma-separated string, got ${JSON.stringify(raw)}`,
    );
  }
  const list = (typeof raw === 'string' ? raw.split(',') : (raw as string[])).map((s) => s.trim()).filter(Boolean);
  const mongodb = list.includes('mongodb');
  return { services: parseServiceNames(list.filter((n) => n !== 'mongodb')), mongodb, source };
}
