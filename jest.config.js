/** Three layers: pure unit tests, integration tests on a real Temporal dev server and FerretDB, and the console in a real browser on the same stack. */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };
/** A mutation run's sandbox (npm run mutation) is a copy of the repo: never a second set of tests or modules. */
const ignore = { modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp'], testPathIgnorePatterns: ['/node_modules/', '<rootDir>/.stryker-tmp/'] };

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      ...ignore,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      ...ignore,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      slowTestThreshold: 60,
    },
    {
      // The console in a real browser (playwright-core + Debian's chromium) on the same real stack
      // (the shared setup starts the servers once when both projects run).
      displayName: 'browser',
      testEnvironment: 'node',
      transform,
      ...ignore,
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      slowTestThreshold: 90,
    },
  ],
};
