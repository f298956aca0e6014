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
    // The end-to-end tests read response bodies as their types (the API's DTOs, or ApiSchema from @fr/testing:
    // the OpenAPI schemas engine.http() checks every response against) and SQL through typed rows.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
    },
  },
);
