import type { BrowserContext, CDPSession, Page } from '@playwright/test';
import { expect, messageLog, signUp, test } from './fixtures';
import { deviceStorageText, setTimer, startSecretChat, sendSecret } from './secret-helpers';

/** Ids in one object store of the app's IndexedDB, read raw inside the running service worker
 * (an evaluate is not an event, so it cannot itself trigger a purge). */
async function readStore(context: BrowserContext, store: string): Promise<string[]> {
  const [sw] = context.serviceWorkers();
  if (!sw) throw new Error('no service worker running');
  return sw.evaluate(async (name) => {
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('cinder');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const keys: IDBValidKey[] = await new Promise((res) => {
      const req = db.transaction(name).objectStore(name).getAllKeys();
      req.onsuccess = () => res(req.result);
    });
    db.close();
    return keys.map(String);
  }, store);
}

async function swRegistration(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; registrationId: string }> {
  const cdp = await context.newCDPSession(page);
  const found = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] }) => {
      const r = e.registrations.find((x) => !x.isDeleted);
      if (r) resolve(r.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  return { cdp, registrationId: await found };
}

test('a 5-second timer deletes the message on both devices; earlier messages stay; nothing is left in storage', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await bob.page.goto(`/secret/${chatId}`);

  await sendSecret(alice.page, 'sent before the timer');
  await expect(messageLog(bob.page).getByText('sent before the timer')).toBeVisible();

  await setTimer(alice.page, '5 seconds');
  await expect(alice.page.getByText('You set the self-destruct timer to 5 seconds')).toBeVisible();
  await expect(bob.page.getByText('Alice set the self-destruct timer to 5 seconds')).toBeVisible();

  await sendSecret(alice.page, 'burn after reading');
  const bobMsg = messageLog(bob.page).getByText('burn after reading');
  await expect(bobMsg).toBeVisible();
  const shownAt = Date.now();
  const id = await messageLog(bob.page).locator('li', { hasText: 'burn after reading' }).getAttribute('data-message-id');
  // Both sides count down once Bob's screen has shown it.
  await expect(messageLog(bob.page).locator('[data-countdown]')).toHaveCount(1);
  await expect(messageLog(alice.page).locator('[data-countdown]')).toHaveCount(1);

  await expect(bobMsg).toHaveCount(0, { timeout: 8000 });
  await expect(messageLog(alice.page).getByText('burn after reading')).toHaveCount(0, { timeout: 3000 });
  const goneAfter = Date.now() - shownAt;
  expect(goneAfter).toBeLessThan(5000 + 2500);
  // The message from before the timer is untouched.
  await expect(messageLog(bob.page).getByText('sent before the timer')).toBeVisible();
  await expect(messageLog(alice.page).getByText('sent before the timer')).toBeVisible();

  // No trace in IndexedDB or Cache Storage on either side.
  for (const page of [alice.page, bob.page]) {
    const raw = await deviceStorageText(page);
    expect(raw).not.toContain(id!);
    expect(raw).not.toContain('burn after reading');
  }
  await alice.context.close();
  await bob.context.close();
});

test('with the app closed, a push wakes the service worker, which purges expired messages before any page opens', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await bob.page.goto(`/secret/${chatId}`);
  await setTimer(alice.page, '3 seconds');
  await expect(bob.page.getByText('Alice set the self-destruct timer to 3 seconds')).toBeVisible();
  await sendSecret(alice.page, 'expires while closed');
  await expect(messageLog(bob.page).locator('[data-countdown]')).toHaveCount(1);
  await bob.page.evaluate(async () => navigator.serviceWorker.ready);
  const id = await messageLog(bob.page).locator('li', { hasText: 'expires while closed' }).getAttribute('data-message-id');

  // Bob closes the app right away; only a blank tab stays (no Cinder page, no worker).
  const blank = await bob.context.newPage();
  await blank.goto('data:text/html,<p>not Cinder</p>');
  await bob.page.close();
  const { cdp, registrationId } = await swRegistration(bob.context, blank);
  expect(await readStore(bob.context, 'secretMessages')).toContain(id);
  await blank.waitForTimeout(3500);
  // Nothing ran yet: the row is still there past its deadline.
  expect(await readStore(bob.context, 'secretMessages')).toContain(id);

  await cdp.send('ServiceWorker.deliverPushMessage', { origin: relay.url, registrationId, data: '{"t":"wake"}' });
  await expect.poll(async () => readStore(bob.context, 'secretMessages'), { timeout: 5000 }).not.toContain(id);

  await alice.context.close();
  await bob.context.close();
});

test('a device that was offline past the deadline purges on start, before anything renders', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await bob.page.goto(`/secret/${chatId}`);
  await setTimer(alice.page, '2 seconds');
  await expect(bob.page.getByText('Alice set the self-destruct timer to 2 seconds')).toBeVisible();
  await sendSecret(alice.page, 'gone before render');
  await expect(messageLog(bob.page).locator('[data-countdown]')).toHaveCount(1);
  await bob.page.close();
  await bob.context.setOffline(true);
  await new Promise((r) => setTimeout(r, 2500));

  const page = await bob.context.newPage();
  // Records whether the text ever reaches the DOM, from the very first paint.
  await page.addInitScript(() => {
    (window as unknown as { sawExpired: boolean }).sawExpired = false;
    new MutationObserver(() => {
      if (document.body?.textContent?.includes('gone before render')) (window as unknown as { sawExpired: boolean }).sawExpired = true;
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(`/secret/${chatId}`);
  await expect(page.getByText('Alice set the self-destruct timer to 2 seconds')).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { sawExpired: boolean }).sawExpired)).toBe(false);
  await alice.context.close();
  await bob.context.close();
});
