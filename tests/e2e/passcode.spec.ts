import { swRegistration } from '../support/sw';
import { expect, messageLog, test } from './fixtures';
import { secretPair, sendSecret } from './secret-helpers';

test('passcode lock: locks the app, holds secret envelopes encrypted while locked, and opens only with the passcode', async ({ browser, relay }) => {
  const { alice, bob, chatId } = await secretPair(browser, relay);
  await sendSecret(bob.page, 'before the lock');
  await expect(messageLog(alice.page).getByText('before the lock')).toBeVisible();
  // Read reports leave in a batch 0.5–3 s after the read (receipts.ts): a longer wait, still on the ticks.
  await expect(messageLog(bob.page).locator('[data-ticks="read"]')).toHaveCount(1, { timeout: 20_000 });

  await alice.page.goto('/settings');
  await alice.page.getByLabel('Passcode', { exact: true }).fill('2468');
  await alice.page.getByLabel('Repeat the passcode').fill('2468');
  await alice.page.getByRole('button', { name: 'Set passcode' }).click();
  await expect(alice.page.getByText('Passcode set.')).toBeVisible({ timeout: 15_000 });

  // A reload starts locked: nothing of the chats shows.
  await alice.page.reload();
  await expect(alice.page.getByRole('heading', { name: 'Cinder is locked' })).toBeVisible();
  await expect(alice.page.getByText('before the lock')).toHaveCount(0);
  await alice.page.getByLabel('Passcode').fill('1357');
  await alice.page.getByRole('button', { name: 'Unlock' }).click();
  await expect(alice.page.getByRole('alert')).toHaveText('Wrong passcode');

  // Locked, with the page gone: a push makes the service worker keep Bob's envelope undecrypted.
  const blank = await alice.context.newPage();
  await blank.goto('data:text/html,<p>elsewhere</p>');
  await alice.page.close();
  const { cdp, registrationId: reg } = await swRegistration(alice.context, blank);
  await sendSecret(bob.page, 'sent while Alice is locked');
  await expect(messageLog(bob.page).locator('[data-ticks="sent"]')).toHaveCount(1);
  const sw = alice.context.serviceWorkers()[0];
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: relay.url, registrationId: reg, data: '{"t":"envelope"}' });
  await expect
    .poll(
      () =>
        sw.evaluate(async () => {
          const db: IDBDatabase = await new Promise((res) => {
            const r = indexedDB.open('cinder');
            r.onsuccess = () => res(r.result);
          });
          const n: number = await new Promise((res) => {
            const q = db.transaction('lockedInbox').objectStore('lockedInbox').count();
            q.onsuccess = () => res(q.result);
          });
          db.close();
          return n;
        }),
      { timeout: 15_000 }
    )
    .toBeGreaterThanOrEqual(1);
  // …and acknowledged them, so the relay no longer holds them.
  const cookie = (await alice.context.cookies()).find((c) => c.name === 'cinder_session')!.value;
  const queued = await (await fetch(`${relay.url}/api/envelopes`, { headers: { authorization: `Bearer ${cookie}` } })).json();
  expect(queued.envelopes).toEqual([]);

  const page = await alice.context.newPage();
  await page.goto(`/secret/${chatId}`);
  await page.getByLabel('Passcode').fill('2468');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(messageLog(page).getByText('sent while Alice is locked')).toBeVisible();
  await expect(messageLog(page).getByText('before the lock')).toBeVisible();
  // Bob gets his two ticks once Alice actually sees it.
  // Read reports leave in a batch 0.5–3 s after the read (receipts.ts): a longer wait, still on the ticks.
  await expect(messageLog(bob.page).locator('[data-ticks="read"]')).toHaveCount(2, { timeout: 20_000 });

  // Lock by hand (in-app navigation: a reload would simply start locked again), then "forgot passcode".
  await page.getByRole('link', { name: 'Back to chats' }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Lock now' }).click();
  await expect(page.getByRole('heading', { name: 'Cinder is locked' })).toBeVisible();
  await page.getByRole('button', { name: 'Forgot your passcode?' }).click();
  await page.getByRole('button', { name: 'Log out and erase this device' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});

test('a passcode set in one tab locks the other tabs, whose messages still arrive; Lock now locks every tab; turned off in one, the others open by themselves', async ({
  browser,
  relay
}) => {
  const { alice, bob, chatId } = await secretPair(browser, relay);
  const other = await alice.context.newPage();
  await other.goto(`/secret/${chatId}`);
  await expect(other.getByText('Bob joined your secret chat.')).toBeVisible();

  // Set in the first tab while Bob writes: the re-key and the received messages meet (the failure this guards against).
  await alice.page.goto('/settings');
  await alice.page.getByLabel('Passcode', { exact: true }).fill('2468');
  await alice.page.getByLabel('Repeat the passcode').fill('2468');
  for (let i = 1; i <= 3; i++) await sendSecret(bob.page, `while the key changes ${i}`);
  await alice.page.getByRole('button', { name: 'Set passcode' }).click();
  await expect(alice.page.getByText('Passcode set.')).toBeVisible({ timeout: 15_000 });
  // The other tab held the old key: it locks (its key is gone from the device) rather than write under it.
  await expect(other.getByRole('heading', { name: 'Cinder is locked' })).toBeVisible();
  await sendSecret(bob.page, 'after the passcode');

  await other.getByLabel('Passcode').fill('2468');
  await other.getByRole('button', { name: 'Unlock' }).click();
  for (const t of ['while the key changes 1', 'while the key changes 2', 'while the key changes 3', 'after the passcode'])
    await expect(messageLog(other).getByText(t)).toBeVisible();

  // "Lock now" locks the device, not one tab: the other tab drops the key too.
  await alice.page.getByRole('button', { name: 'Lock now' }).click();
  await expect(alice.page.getByRole('heading', { name: 'Cinder is locked' })).toBeVisible();
  await expect(other.getByRole('heading', { name: 'Cinder is locked' })).toBeVisible();
  await other.getByLabel('Passcode').fill('2468');
  await other.getByRole('button', { name: 'Unlock' }).click();
  await expect(messageLog(other).getByText('after the passcode')).toBeVisible();

  // Turned off in the other tab (in-app navigation: a reload would start locked): the first one, locked,
  // takes up the new key without asking, and keeps working.
  await other.getByRole('link', { name: 'Back to chats' }).click();
  await other.getByRole('link', { name: 'Settings' }).click();
  await other.getByRole('button', { name: 'Turn off passcode' }).click();
  await expect(other.getByText('Passcode turned off.')).toBeVisible({ timeout: 15_000 });
  await expect(alice.page.getByRole('button', { name: 'Set passcode' })).toBeVisible();
  await alice.page.getByRole('link', { name: /^Back/ }).click();
  await alice.page.locator(`a[href="/secret/${chatId}"]`).first().click();
  await expect(alice.page).toHaveURL(new RegExp(`/secret/${chatId}`));
  await sendSecret(alice.page, 'from the first tab, under the new key');
  await expect(messageLog(bob.page).getByText('from the first tab, under the new key')).toBeVisible();
  await sendSecret(bob.page, 'and back');
  await expect(messageLog(alice.page).getByText('and back')).toBeVisible();
  // A restart opens without a passcode and reads everything.
  await alice.page.reload();
  await expect(messageLog(alice.page).getByText('after the passcode')).toBeVisible();
  await expect(messageLog(alice.page).getByText('and back')).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});
