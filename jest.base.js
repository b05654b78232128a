// Shared jest configuration: TypeScript through SWC (fast, keeps decorator metadata for Nest), ESM mode.
// Packages import this and add their own `globalSetup` when they need real test services.
/** @param {{ decorators?: boolean, testTimeout?: number }} [opts] */
export function jestConfig(opts = {}) {
  return {
    testEnvironment: 'node',
    roots: ['<rootDir>/test', '<rootDir>/src'],
    testMatch: ['**/*.test.ts', '**/*.e2e-spec.ts'],
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: {
            target: 'es2022',
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
            keepClassNames: true,
          },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    testTimeout: opts.testTimeout ?? 30_000,
    // Real servers and temp folders: keep the machine's two cores for them.
    maxWorkers: process.env.CI ? 2 : '50%',
  };
}
