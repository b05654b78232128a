import { jestConfig } from '../../jest.base.js';

// The global setup/teardown come from dist (the same files other packages get through the package's exports):
// jest loads globalSetup outside its ESM runtime, through a CommonJS require hook that cannot resolve the
// `./x.js` imports of our TypeScript sources. The `test` script therefore builds first.
export default {
  ...jestConfig({ testTimeout: 60_000 }),
  globalSetup: './dist/jest/global-setup.js',
  globalTeardown: './dist/jest/global-teardown.js',
  globals: { ufsTestServices: ['s3'] },
};
