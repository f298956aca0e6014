// Lint: the rules that catch real defects in this codebase (promises left floating, misused in
// conditions or callbacks, awaits of non-promises), on top of typescript-eslint's recommended set.
// The no-unsafe-* family is on where SQL is read through typed rows (the block at the end); code
// that still passes `any` around would have those rules flag each use rather than point at a defect.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'var/**', 'scripts/**', 'openapi/**', 'jest.config.js', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The apps, the libraries and the bench read PostgreSQL through typed rows (selectRows/selectRow/execute,
    // pg's query<Row>) and walk JSON as the Json type of @fr/domain: keep `any` out.
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
    },
  },
  {
    // End-to-end tests, i to z: response bodies are read through the API's DTO types, SQL through typed rows.
    files: [
      'test/intake-input.e2e-spec.ts',
      'test/intake-routing.e2e-spec.ts',
      'test/least-privilege.e2e-spec.ts',
      'test/login-limits.e2e-spec.ts',
      'test/notices.e2e-spec.ts',
      'test/observability.e2e-spec.ts',
      'test/officers-units.e2e-spec.ts',
      'test/open311.e2e-spec.ts',
      'test/outage.e2e-spec.ts',
      'test/outbox-signal.e2e-spec.ts',
      'test/personal-data.e2e-spec.ts',
      'test/privacy-requests.e2e-spec.ts',
      'test/privacy-retention.e2e-spec.ts',
      'test/reorganisation.e2e-spec.ts',
      'test/route-cost.e2e-spec.ts',
      'test/routing-batch.e2e-spec.ts',
      'test/setup-e2e.ts',
      'test/several-instances.e2e-spec.ts',
      'test/shipped-reorganisations.e2e-spec.ts',
      'test/sla-escalation.e2e-spec.ts',
      'test/standard-webhooks.e2e-spec.ts',
      'test/unit-facts.e2e-spec.ts',
      'test/webhooks.e2e-spec.ts',
    ],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
    },
  },
);
