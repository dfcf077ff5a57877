// A start that does not finish (the device's storage not answering: WebKit's IndexedDB can stop
// after a tab ends mid-write) is said after a while, instead of "Opening Cinder…" for good.
import { expect, signUp, test } from './fixtures';

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

// WebKit can leave the worker's database connection without answers after a page was left during a
// write (src/lib/store/stall-watch.ts); only a new page gets it back. Stood in for here by another
// tab's transaction that never ends while that tab lives: the worker's next transaction waits behind
// it, unanswered. The app must say so and offer the reload (the stand-in tab is closed first).
test('a database that stops answering while the app runs: the app says so, and its Reload gets the app back', async ({ browser, relay }) => {
  test.setTimeout(120_000);
  const { page, context } = await signUp(browser, relay, 'stall');
  const rogue = await context.newPage();
  await rogue.goto('/healthz');
  await rogue.evaluate(
    () =>
      new Promise<void>((started) => {
        const req = indexedDB.open('cinder');
        req.onsuccess = () => {
          const db = req.result;
          const tx = db.transaction([...db.objectStoreNames], 'readwrite');
          const store = tx.objectStore(db.objectStoreNames[0]!);
          // A request always pending: the transaction never commits while this tab lives.
          const again = () => (store.count().onsuccess = again);
          again();
          started();
        };
      })
  );
  const notice = page.getByRole('alert').filter({ hasText: "This device's storage stopped answering" });
  await expect(notice).toHaveCount(0);
  await page.getByRole('link', { name: 'Settings' }).click();
  // The worker's reads wait behind that transaction, with no answer for 15 s.
  await expect(notice).toBeVisible({ timeout: 60_000 });
  await expect(notice).toContainText("close Cinder's other tabs and windows");
  await rogue.close();
  await notice.getByRole('button', { name: 'Reload' }).click();
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await expect(notice).toHaveCount(0);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Chats' })).toBeVisible();
  await context.close();
});
