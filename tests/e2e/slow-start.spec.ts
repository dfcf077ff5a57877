// A start that does not finish (the device's storage not answering: WebKit's IndexedDB can stop
// after a tab ends mid-write) is said after a while, instead of "Opening Cinder…" for good.
import { expect, test } from './fixtures';

test('a start that hangs says so after 15 s, and says what to try', async ({ browser, relay }) => {
  const context = await browser.newContext({ baseURL: relay.url, serviceWorkers: 'block' });
  const page = await context.newPage();
  // The app's Web Worker never arrives: its start call stays unanswered, as with a silent database.
  let held = 0;
  await context.route('**/_app/immutable/workers/worker-*.js', () => void held++);
  await page.goto('/login');
  await expect(page.getByText('Opening Cinder…')).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'taking longer than usual' })).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'taking longer than usual' })).toBeVisible({ timeout: 45_000 });
  await expect(page.getByRole('status')).toContainText("close Cinder's other tabs and windows");
  expect(held).toBeGreaterThan(0);
  await context.close();
});
