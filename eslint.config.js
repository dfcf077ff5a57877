// ESLint 9 flat config. `npm run lint` = prettier --check + this. The architecture's import boundaries
// are the local rule cinder/boundaries (eslint/boundaries.js); tests/unit/ui/lint-boundaries.test.ts proves them.
import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import svelteConfig from './svelte.config.js';
import cinder from './eslint/boundaries.js';

export default ts.config(
  {
    ignores: ['build/', '.svelte-kit/', 'test-results/', 'playwright-report/', 'node_modules/', 'data/', '.tmp/', '.scratch/', 'static/', 'tests/fixtures/']
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  prettier,
  ...svelte.configs.prettier,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } }
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
    languageOptions: { parserOptions: { projectService: false, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig } }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }]
    }
  },
  {
    // `let { a, b } = …` where only one is reassigned stays one declaration (Svelte files use svelte/prefer-const).
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    ignores: ['**/*.svelte.ts', '**/*.svelte.js'],
    rules: { 'prefer-const': ['error', { destructuring: 'all' }] }
  },
  {
    // Tests feed deliberately malformed values; the app's types would only get in the way there.
    files: ['tests/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' }
  },
  {
    // The app is served at the root (no kit.paths.base), so links and goto() need no resolve().
    rules: { 'svelte/no-navigation-without-resolve': 'off' }
  },
  {
    files: ['src/**'],
    plugins: { cinder },
    rules: { 'cinder/boundaries': 'error' }
  },
  {
    // Full zod's classes cost ~20 KB brotli in the worker's start bundle; schemas use zod/mini through one module.
    files: ['src/**', 'tests/**', 'bench/**'],
    ignores: ['src/lib/api/zod.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^zod(/.*)?$', message: "Import { z } from '$lib/api/zod' (zod/mini with English messages)." }] }]
    }
  }
);
