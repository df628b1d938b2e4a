// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', '.jobs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // `any` stays allowed where a generic default or a user's DTO type has no better name.
      '@typescript-eslint/no-explicit-any': 'off',
      // A leading underscore marks a parameter a signature we implement requires.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `Function` is how reflect-metadata and Nest type a class.
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
  // TypeScript checks names itself (typescript-eslint's advice).
  { files: ['**/*.ts'], rules: { 'no-undef': 'off' } },
  // Tests load modules inside isolated registries and children with require().
  { files: ['test/**/*.ts', 'bench/**/*.ts'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['**/*.js', '**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // The dashboard's page script runs in the browser.
  { files: ['lib/dashboard/assets/**/*.js'], languageOptions: { globals: globals.browser, sourceType: 'script' } },
);
