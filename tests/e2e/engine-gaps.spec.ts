import type { Page } from '@playwright/test';
import { swRegistration } from '../support/sw';
import { audit } from './axe';
import { expect, messageLog, openChatWith, sendText, signUp, test, controlledBySW } from './fixtures';

const persisted = (page: Page) => page.evaluate(() => navigator.storage.persisted());
const syncTags = (page: Page) =>
  page.evaluate(async () => {
    const reg = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & { sync: { getTags(): Promise<string[]> } };
    return reg.sync.getTags();
  });

test('Settings says whether this browser may clear Cinder’s data, as navigator.storage.persisted() says', async ({ browser, relay }, info) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const { page } = alice;
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto('/settings');
  const section = page.getByRole('region', { name: 'Storage on this device' });
  const state = section.getByTestId('storage-state');
  await expect(state).toBeVisible();
  // Headless Chromium may grant or deny persist(): the text must match whichever it did.
  const shown = async () => ((await state.getAttribute('data-state')) === 'protected') === (await persisted(page));
  await expect.poll(shown).toBe(true);
  if (await persisted(page)) await expect(state.getByText('Protected', { exact: true })).toBeVisible();
  else {
    await expect(state.getByText('Not protected', { exact: true })).toBeVisible();
    await expect(section.getByTestId('storage-detail')).toContainText('low on space');
    await section.getByRole('button', { name: 'Ask the browser to keep it' }).click();
    await expect.poll(shown).toBe(true);
  }
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(page, `settings ${scheme}`);
    await section.screenshot({ path: info.outputPath(`storage-${scheme}-360.png`) });
    // Nothing spills sideways at 360 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  }
  await alice.context.close();
});

test('a message sent while the browser is offline registers Background Sync and goes out when the network returns, without a reload', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await controlledBySW(alice.page);
  await expect.poll(() => syncTags(alice.page)).toEqual([]);

  // The relay socket may stay open, so the app can still believe it is online.
  await alice.context.setOffline(true);
  await sendText(alice.page, 'written in a tunnel');
  const log = messageLog(alice.page);
  await expect(log.locator('[data-ticks="pending"]')).toHaveCount(1);
  await expect.poll(() => syncTags(alice.page)).toContain('cinder-outbox');

  await alice.context.setOffline(false);
  await expect(log.locator('[data-ticks="sent"], [data-ticks="read"]')).toHaveCount(1, { timeout: 15_000 });
  await openChatWith(bob.page, alice.username);
  await expect(messageLog(bob.page).getByText('written in a tunnel')).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});

test('every push shows a notification, also while Cinder is open with nothing new to show', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  await alice.context.grantPermissions(['notifications'], { origin: relay.url });
  await alice.page.evaluate(async () => navigator.serviceWorker.ready);
  const sw = alice.context.serviceWorkers()[0] ?? (await alice.context.waitForEvent('serviceworker'));
  // Counts showNotification calls: a notice closed at once leaves nothing in getNotifications().
  await sw.evaluate(() => {
    const reg = (self as unknown as ServiceWorkerGlobalScope & { shown: number }).registration;
    const show = reg.showNotification.bind(reg);
    (self as unknown as { shown: number }).shown = 0;
    reg.showNotification = (...args: Parameters<typeof show>) => {
      (self as unknown as { shown: number }).shown++;
      return show(...args);
    };
  });
  const shown = () => sw.evaluate(() => (self as unknown as { shown: number }).shown);
  const { cdp, registrationId } = await swRegistration(alice.context, alice.page);
  for (const data of ['{"t":"update"}', '{"t":"wake"}', 'not json']) {
    const before = await shown();
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: relay.url, registrationId, data });
    await expect.poll(shown).toBeGreaterThan(before);
  }
  await alice.context.close();
});
