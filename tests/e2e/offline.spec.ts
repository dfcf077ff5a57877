import type { BrowserContext, Worker } from '@playwright/test';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { countStore as countRows, swRegistration as swSession } from '../support/sw';
import { expect, messageLog, openChatWith, sendText, signUp, test, controlledBySW } from './fixtures';
import { sendSecret, startSecretChat } from './secret-helpers';

async function serviceWorker(context: BrowserContext): Promise<Worker> {
  return context.serviceWorkers()[0] ?? context.waitForEvent('serviceworker');
}

const notifications = (sw: Worker) =>
  sw.evaluate(async () =>
    (await (self as unknown as ServiceWorkerGlobalScope).registration.getNotifications()).map((n) => ({
      title: n.title,
      body: n.body,
      url: (n.data as { url?: string })?.url
    }))
  );

test('with the app closed, a push makes the service worker fetch, decrypt and store messages, then notify', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await bob.context.grantPermissions(['notifications'], { origin: relay.url });
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await bob.page.goto(`/secret/${chatId}`);
  await expect(bob.page.getByLabel('Message', { exact: true })).toBeVisible();
  await bob.page.evaluate(async () => navigator.serviceWorker.ready);
  const sw = await serviceWorker(bob.context);

  // Bob closes Cinder; a blank tab keeps the browser (and CDP) around.
  const blank = await bob.context.newPage();
  await blank.goto('data:text/html,<p>elsewhere</p>');
  await bob.page.close();
  const { cdp, registrationId } = await swSession(bob.context, blank);
  const before = await countRows(sw, 'secretMessages');

  await sendSecret(alice.page, 'arrives while closed');
  await expect(messageLog(alice.page).locator('[data-ticks="sent"]')).toHaveCount(1);
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: relay.url, registrationId, data: '{"t":"envelope"}' });
  await expect.poll(() => countRows(sw, 'secretMessages'), { timeout: 10_000 }).toBe(before + 1);
  await expect.poll(() => notifications(sw)).toContainEqual({ title: 'Cinder', body: 'New secret message', url: `/secret/${chatId}` });
  // Secret content never reaches the notification.
  expect(JSON.stringify(await notifications(sw))).not.toContain('arrives while closed');

  // A cloud message: the notification names the sender and shows the text.
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'cloud while closed');
  await expect(messageLog(alice.page).locator('[data-ticks="sent"]')).toHaveCount(1);
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: relay.url, registrationId, data: '{"t":"update"}' });
  // A wake on a busy machine can take more than 10 s (the service worker starts, syncs and writes).
  await expect.poll(() => notifications(sw), { timeout: 30_000 }).toContainEqual(expect.objectContaining({ title: 'Alice', body: 'cloud while closed' }));

  // Opening the app shows what the service worker stored, without waiting for the network.
  const page = await bob.context.newPage();
  await bob.context.setOffline(true);
  await page.goto(`/secret/${chatId}`);
  await expect(messageLog(page).getByText('arrives while closed')).toBeVisible();
  await bob.context.setOffline(false);
  await alice.context.close();
  await bob.context.close();
});

test('messages written offline wait with a clock and go out through Background Sync after the tab is closed', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await bob.page.evaluate(async () => navigator.serviceWorker.ready);
  await controlledBySW(bob.page);

  await openChatWith(bob.page, alice.username);
  // On the train: no network.
  await bob.context.setOffline(true);
  await sendText(bob.page, 'written on the train');
  await expect(messageLog(bob.page).locator('[data-ticks="pending"]')).toHaveCount(1);
  await bob.page.goto(`/secret/${chatId}`);
  await sendSecret(bob.page, 'secret written on the train');
  await expect(messageLog(bob.page).locator('[data-ticks="pending"]')).toHaveCount(1);

  // The tab is closed; the signal returns; the browser fires the sync event.
  const blank = await bob.context.newPage();
  await blank.goto('data:text/html,<p>elsewhere</p>');
  await bob.page.close();
  await bob.context.setOffline(false);
  const { cdp, registrationId } = await swSession(bob.context, blank);
  await cdp.send('ServiceWorker.dispatchSyncEvent', { origin: relay.url, registrationId, tag: 'cinder-outbox', lastChance: false });

  await expect(messageLog(alice.page).getByText('secret written on the train')).toBeVisible({ timeout: 15_000 });
  await alice.page.goto('/');
  await expect(alice.page.locator(`[data-chat="${bob.username}"]`)).toContainText('written on the train');
  await alice.context.close();
  await bob.context.close();
});

test('the service worker precaches every file of the Web Worker, so an updated app starts offline', async ({ browser, relay }) => {
  const dir = 'build/client/_app/immutable/workers';
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && f.name.endsWith('.js'))
    .map((f) => `/${relative('build/client', join(f.parentPath, f.name))}`);
  expect(files.length).toBeGreaterThanOrEqual(3); // the entry, its body and the secret-chat code
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  await alice.page.evaluate(async () => navigator.serviceWorker.ready);
  const cached = await alice.page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
    return urls;
  });
  for (const f of files) expect(cached).toContain(f);
  await alice.context.close();
});
