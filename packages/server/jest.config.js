import { fileURLToPath } from 'node:url';
import { jestConfig } from '../../jest.base.js';

// The package exports are import-only, so resolve them here (jest's own resolver asks for `require`).
const resolve = (specifier) => fileURLToPath(import.meta.resolve(specifier));

// Real services from @org/test-services: radosgw (S3) for the content-mount suites; "mongodb" only reports whether
// the MongoDB store suite runs (it needs UFS_TEST_MONGODB_URI: no MongoDB can run on these machines).
export default {
  ...jestConfig({ testTimeout: 60_000 }),
  globals: { ufsTestServices: ['s3', 'mongodb'] },
  globalSetup: resolve('@org/test-services/jest-global-setup'),
  globalTeardown: resolve('@org/test-services/jest-global-teardown'),
};
