// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '**/.turbo/**', '**/test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // One package never reaches into another's internals: only its `exports`.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@org/[^/]+/(src|dist)(/|$)', message: 'Import another package only through its exports.' },
            { regex: '^(\\.\\./){2,}(packages|apps)/', message: 'Import another package only through its exports.' },
            { regex: '^(\\.\\./){3,}', message: 'Import another package only through its exports.' },
          ],
        },
      ],
    },
  },
  {
    // Nest modules and controllers use classes whose types are read at run time (decorator metadata).
    files: ['packages/server/**/*.ts', 'apps/api/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
);
