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
      // content-disposition 3 is ESM only and @fastify/static (Swagger UI at /docs) require()s it: Node >= 20.19 loads
      // it (require of ESM), jest's CommonJS loader on Node < 24.9 only once it is compiled to CommonJS (SWC picks the
      // module format jest asks for: CommonJS for require, ES for import).
      '/content-disposition/dist/.+\\.js$': ['@swc/jest', {}],
    },
    transformIgnorePatterns: ['/node_modules/(?!\\.pnpm/content-disposition@|content-disposition/)'],
    testTimeout: opts.testTimeout ?? 30_000,
    // Real servers and temp folders: keep the machine's two cores for them.
    maxWorkers: process.env.CI ? 2 : '50%',
  };
}
