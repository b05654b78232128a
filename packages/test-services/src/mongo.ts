/**
 * MongoDB cannot run on this machine (no Debian package; mongodb-memory-server needs the internet), so MongoDB
 * suites run only when a real server is given through UFS_TEST_MONGODB_URI, and the test output says which case
 * applies.
 */

export const MONGODB_ENV = 'UFS_TEST_MONGODB_URI';

/** The MongoDB connection string for tests, or undefined when none is configured. */
export function mongoTestUri(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const uri = env[MONGODB_ENV]?.trim();
  return uri ? uri : undefined;
}

/** The URI with any password replaced by "***" (user names are kept: they help to tell servers apart). */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    // Not a URL the WHATWG parser accepts (e.g. several hosts): strip "user:password@" by hand.
    return uri.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

/** One line saying whether the MongoDB suites run, and against what. */
export function mongoBanner(env: NodeJS.ProcessEnv = process.env): string {
  const uri = mongoTestUri(env);
  return uri
    ? `[ufs test-services] MongoDB suites run against ${redactUri(uri)}`
    : `[ufs test-services] MongoDB suites NOT RUN: ${MONGODB_ENV} is not set (no MongoDB can run on this machine)`;
}

/** Prints {@link mongoBanner} on stderr (plain text, outside jest's reporters so it is never hidden). */
export function reportMongo(env: NodeJS.ProcessEnv = process.env): void {
  process.stderr.write(`${mongoBanner(env)}\n`);
}
