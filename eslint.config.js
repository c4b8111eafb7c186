// Lint: typescript-eslint's recommended rules plus the import boundaries that encode the layering of
// DESIGN.md (see "Contributing" in README.md). Formatting is Prettier's job, not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import layers from './scripts/lint/layers.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', '.wrangler/', 'test-artifacts/', 'drizzle/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { layers },
    rules: {
      'layers/boundaries': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-control-regex': 'off',
    },
  },
  // Tests read untyped JSON bodies from the API and the sockets; `any` there is the honest type.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  { files: ['src/pages/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  { files: ['src/runtime/worker/**/*.ts'], languageOptions: { globals: { ...globals.serviceworker } } },
);
