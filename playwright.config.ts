import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from './tests/support/chromium';

export default defineConfig({
  outputDir: 'test-results',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: process.env.PLAYWRIGHT_REPORTERS ? [['list'], ['json']] : [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
    viewport: { width: 390, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure'
  },
  projects: [
    // The full suite, in Chromium.
    { name: 'chromium', testDir: 'tests/e2e' },
    // Every flow again across Chromium, Firefox and WebKit, mixed-engine pairs included (see tests/engines/driver.ts).
    // The soak (soak.spec.ts) is a tool, not a test: it runs only when CINDER_SOAK names its length.
    { name: 'engines', testDir: 'tests/engines', timeout: 300_000, testIgnore: process.env.CINDER_SOAK ? [] : ['**/soak.spec.ts'] }
  ]
});
