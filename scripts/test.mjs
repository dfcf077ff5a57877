#!/usr/bin/env node
// The whole test suite: the fast static checks (lint: prettier + ESLint with the architecture's import
// boundaries; the service worker's and the crypto folder's stricter type checks), unit tests (Vitest),
// a type check, a production build, then the end-to-end
// tests (Playwright against the real server: the Chromium suite and the cross-engine suite). Ends with
// one summary line across both runners.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

mkdirSync('.tmp', { recursive: true });
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;
const npx = (...args) => run('npx', args);

const counts = { passed: 0, failed: 0, skipped: 0 };
const failedSteps = [];

// Fast static checks first: each fails the run, but the slower steps still run to report everything.
if (run('npm', ['run', 'lint', '--silent']) !== 0) failedSteps.push('lint');
if (run('npm', ['run', 'check:sw', '--silent']) !== 0) failedSteps.push('check:sw');
if (run('npm', ['run', 'check:crypto', '--silent']) !== 0) failedSteps.push('check:crypto');

const unit = npx('vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=.tmp/vitest.json');
if (existsSync('.tmp/vitest.json')) {
  const r = JSON.parse(readFileSync('.tmp/vitest.json', 'utf8'));
  counts.passed += r.numPassedTests;
  counts.failed += r.numFailedTests;
  counts.skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
if (unit !== 0) failedSteps.push('unit');

// Types across the app, the relay and the tests (svelte-check over tsconfig.json).
if (run('npm', ['run', 'check', '--silent']) !== 0) failedSteps.push('check');

const build = run('npm', ['run', 'build', '--silent']);
if (build !== 0) failedSteps.push('build');
else {
  const e2e = spawnSync('npx', ['playwright', 'test', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: '.tmp/playwright.json', PLAYWRIGHT_REPORTERS: 'list,json' }
  }).status;
  if (existsSync('.tmp/playwright.json')) {
    const s = JSON.parse(readFileSync('.tmp/playwright.json', 'utf8')).stats ?? {};
    counts.passed += s.expected ?? 0;
    counts.failed += (s.unexpected ?? 0) + (s.flaky ?? 0);
    counts.skipped += s.skipped ?? 0;
  }
  if (e2e !== 0) failedSteps.push('e2e');
}

if (failedSteps.length) console.log(`\nfailed steps: ${failedSteps.join(', ')}`);
console.log(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(failedSteps.length ? 1 : 0);
