import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that do I/O. A decider's core must not import them: it stays pure and replayable. */
const ioModules = ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:os', 'pino', '@nats-io/*', '@anthropic-ai/sdk', 'openai'];

export default tseslint.config(
  { ignores: ['node_modules/', '.tooling/', '.data/', '**/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Async functions that implement an async interface need no await.
      '@typescript-eslint/require-await': 'off',
      // Packages are used through their public index only.
      'no-restricted-imports': ['error', { patterns: [{ group: ['@signalbox/*/*'], message: 'import from the package index, not a deep path' }] }],
    },
  },
  {
    files: ['services/*/src/core/**/*.ts'],
    ignores: ['**/*.test.ts', '**/spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ioModules, message: 'the core is pure: I/O belongs in the shell' }] }],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // The provider SDKs type their error fields as `any`; the adapters narrow them at once.
    files: ['packages/models/src/anthropic.ts', 'packages/models/src/openai.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
