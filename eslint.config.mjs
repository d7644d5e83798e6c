// Lint: type-aware rules everywhere, and determinism guards for workflow code (STYLE.md).
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2',
  'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls', 'url', 'util', 'v8', 'vm',
  'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', 'dist/**', 'coverage/**', 'console/dist/**', 'test-results/**', 'test/.generated/**', '.stryker-tmp/**', 'reports/**', 'jest.config.js', 'jest.mutation.config.js', 'eslint.config.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node APIs, no I/O, no value imports
    // of activities or services (types only), no wall-clock or randomness outside the SDK.
    files: ['workflows/**/*.ts', 'libs/domain/contract.ts', 'libs/domain/messages.ts', 'libs/money.ts', 'libs/dates.ts', 'libs/accounting.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.flatMap((m) => [{ name: m, message: 'workflow code must not use Node APIs' }, { name: `node:${m}`, message: 'workflow code must not use Node APIs' }]),
          { name: '@temporalio/client', message: 'workflows talk to the world only through activities' },
          { name: '@temporalio/worker', message: 'workflows talk to the world only through activities' },
          { name: '@temporalio/activity', message: 'workflows talk to the world only through activities' },
          { name: 'mongoose', message: 'workflows never do I/O' },
          { name: 'zod', message: 'validation happens before the workflow; keep the bundle pure' },
        ],
        patterns: [
          { group: ['**/activities', '**/activities/*', '**/services/**', '**/libs/config', '**/libs/logger', '**/libs/mongo', '**/libs/http', '**/libs/temporal'], allowTypeImports: true, message: 'import activity and service modules by type only' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'use sleep() or condition() from @temporalio/workflow' },
        { name: 'setInterval', message: 'use sleep() in a loop' },
        { name: 'fetch', message: 'workflows never do I/O' },
      ],
    },
  },
);
