// A page about to be left (`beforeunload`) pauses its worker's storage: WebKit's IndexedDB could hang
// for the next page when a page was left mid-write (src/lib/store/tx-locks.ts). A navigation that does
// not happen after all only delays storing: the message arrives a few seconds later.
import { expect, test } from './fixtures';
import { secretPair, sendSecret } from './secret-helpers';

/** What the page's worker is doing in IndexedDB, over the store's diagnostics channel (lock-diagnostics.ts). */
const workerOps = () =>
  new Promise<string[]>((done) => {
    const channel = new BroadcastChannel('cinder-store-diagnostics');
    const ask = Math.random().toString(36).slice(2);
    channel.onmessage = (ev) => {
      const r = ev.data as { type?: string; ask?: string; context?: string; ops?: { phase: string; mode: string; stores: string[] }[] };
      if (r?.type !== 'report' || r.ask !== ask || r.context !== 'worker') return;
      channel.close();
      done((r.ops ?? []).map((o) => `${o.phase} ${o.mode} ${[...o.stores].sort().join('+')}`));
    };
    channel.postMessage({ type: 'ask', ask });
  });

test('a page about to be left stores nothing new; if it stays after all, what arrived meanwhile shows', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  await sendSecret(bob.page, 'before the page is left');
  await expect(alice.page.getByRole('list', { name: 'Messages' }).getByText('before the page is left')).toBeVisible();

  // The browser's own event, as at the start of a navigation (one that then does not happen), sent
  // again until the receive is seen waiting at its look-up of seen envelopes (each one pauses anew:
  // a busy machine may take longer than one pause to get the message to Alice's worker).
  const leaving = () => alice.page.evaluate(() => window.dispatchEvent(new Event('beforeunload', { cancelable: true })));
  await leaving();
  await sendSecret(bob.page, 'while the page was being left');
  await expect
    .poll(async () => (await leaving(), alice.page.evaluate(workerOps)), { timeout: 30_000 })
    .toContainEqual(expect.stringMatching(/^paused \w+ .*seenEnvelopes/));
  await expect(alice.page.getByRole('list', { name: 'Messages' }).getByText('while the page was being left')).toHaveCount(0);

  // The page stayed: the pause ends by itself and the message is stored and shown.
  await expect(alice.page.getByRole('list', { name: 'Messages' }).getByText('while the page was being left')).toBeVisible({ timeout: 30_000 });
  expect(await alice.page.evaluate(workerOps)).not.toContainEqual(expect.stringMatching(/^paused/));
});
