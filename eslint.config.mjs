// Lint: the rules that catch real defects in this codebase (promises left floating, misused in
// conditions or callbacks, awaits of non-promises), on top of typescript-eslint's recommended set.
// The no-unsafe-* family is on for every file: `any` hides a renamed column or a changed body from
// the compiler.
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
      // Every file keeps `any` out: SQL is read through typed rows (selectRows/selectRow/execute, pg's
      // query<Row>), JSON walked as the Json type of @fr/domain, and the tests read response bodies as
      // their OpenAPI schemas (ApiSchema from @fr/testing), the ones engine.http() checks every response against.
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      // class-validator's MaxLength counts a letter and its variation selector as one character, which
      // PostgreSQL counts as two: a text at the limit overflowed its column (apps/api/src/common/text.decorators.ts).
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'class-validator', importNames: ['MaxLength'], message: 'use MaxLength of text.decorators: it counts code points, as PostgreSQL does' },
          ],
        },
      ],
    },
  },
);
