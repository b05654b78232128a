import { fileURLToPath } from 'node:url';
import { jestConfig } from '../../jest.base.js';

// The package exports are import-only, so resolve them here (jest's own resolver asks for `require`).
const resolve = (specifier) => fileURLToPath(import.meta.resolve(specifier));

// Real servers for the backend tests, started once per run by @org/test-services (reused when an outer runner
// already set UFS_TEST_*): radosgw for s3, sshd for sftp. WebDAV, Azurite and the HTTP/Dropbox/GCS fakes are
// started by their test files.
export default {
  ...jestConfig({ testTimeout: 60_000 }),
  globalSetup: resolve('@org/test-services/jest-global-setup'),
  globalTeardown: resolve('@org/test-services/jest-global-teardown'),
  globals: { ufsTestServices: ['s3', 'sftp'] },
};
