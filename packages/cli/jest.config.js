import { fileURLToPath } from 'node:url';
import { jestConfig } from '../../jest.base.js';

// The package exports are import-only, so resolve them here (jest's own resolver asks for `require`).
const resolve = (specifier) => fileURLToPath(import.meta.resolve(specifier));

// Every test runs the real `ufs` binary (bin/run.js → dist; turbo builds the CLI first). Storage commands are
// tested against local folders and a real S3 (radosgw) started once per run by @org/test-services (reused when
// UFS_TEST_S3_* are set by an outer runner); hosting providers against local fakes in test/fakes; the dedup server
// is the real one, started with `ufs serve`.
export default {
  ...jestConfig({ testTimeout: 60_000 }),
  // Two workers even beside another package's suite (turbo runs two at a time): a CLI test mostly waits on the
  // processes it runs, and this suite is the test command's tail (one worker: 711 s of the 19 minutes).
  maxWorkers: 2,
  globalSetup: resolve('@org/test-services/jest-global-setup'),
  globalTeardown: resolve('@org/test-services/jest-global-teardown'),
  globals: { ufsTestServices: ['s3'] },
};
