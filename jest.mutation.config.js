/**
 * The tests StrykerJS runs against each mutant of the rules (`npm run mutation`, stryker.config.json):
 * only the fast unit tests of workflows/engine.ts, libs/accounting.ts, libs/money.ts and libs/dates.ts.
 */
// Property tests make a quarter of their runs here (test/support/engine-fixtures.ts `runs`): every mutant re-runs them.
process.env.FC_RUNS_SCALE ??= '0.25';

const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform,
  rootDir: __dirname,
  testMatch: [
    '<rootDir>/test/unit/engine-*.test.ts',
    '<rootDir>/test/unit/accounting*.test.ts',
    '<rootDir>/test/unit/money*.test.ts',
    '<rootDir>/test/unit/dates*.test.ts',
    '<rootDir>/test/unit/workflow-refusals.test.ts',
  ],
};
