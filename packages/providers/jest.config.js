import { fileURLToPath } from 'node:url';
import { jestConfig } from '../../jest.base.js';

// The package exports are import-only, so resolve them here (jest's own resolver asks for `require`).
const resolve = (specifier) => fileURLToPath(import.meta.resolve(specifier));

// The S3 provider is tested against a real radosgw, started once per run by @org/test-services (reused when
// UFS_TEST_S3_* are already set by an outer runner). Every other provider talks to local fakes in test/fakes.
export default {
  ...jestConfig(),
  globalSetup: resolve('@org/test-services/jest-global-setup'),
  globalTeardown: resolve('@org/test-services/jest-global-teardown'),
  globals: { ufsTestServices: ['s3'] },
};
