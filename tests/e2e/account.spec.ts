/**
 * Account security in Settings: changing the password and "Sign out all other devices" sign the
 * account's other devices out at once (sign-in screen, local data wiped as on revocation); the device
 * that did it stays signed in. Also: inline checks, errors as alerts, 360 px in light and dark.
 */
import type { Page } from '@playwright/test';
import { audit } from './axe';
import { expect, logIn, openChatWith, PASSWORD, sendText, signUp, test } from './fixtures';

const NEW_PASSWORD = 'a brand new passphrase';

/** Row counts of some of the device's IndexedDB tables. */
async function idbCounts(page: Page, stores: string[]): Promise<Record<string, number>> {
  return page.evaluate(async (names) => {
    const db: IDBDatabase = await new Promise((res, rej) => {
      const r = indexedDB.open('cinder');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const out: Record<string, number> = {};
    for (const name of names) {
      out[name] = await new Promise((res) => {
        const req = db.transaction(name).objectStore(name).count();
        req.onsuccess = () => res(req.result);
      });
    }
    db.close();
    return out;
  }, stores);
}

/** The device shows the sign-in screen, says why, and kept nothing of the account. */
async function expectSignedOut(page: Page) {
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByText('This device was signed out')).toBeVisible();
  await expect.poll(() => idbCounts(page, ['chats', 'messages', 'secrets'])).toEqual({ chats: 0, messages: 0, secrets: 0 });
}

async function signInWith(page: Page, username: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** No horizontal scrolling at the current viewport. */
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

test('changing the password signs the other devices out at once; only the new password works', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice');
  const bob = await signUp(browser, relay, 'bob');
  const alice2 = await logIn(browser, relay, alice.username);
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'before the change');
  // The second device has the chat locally.
  await expect(alice2.page.getByText('before the change')).toBeVisible();
  expect((await idbCounts(alice2.page, ['messages'])).messages).toBeGreaterThan(0);

  const page = alice.page;
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/settings');
  const form = page.getByRole('region', { name: 'Change password' });
  await expect(form).toBeVisible();

  // Checked before anything is sent.
  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByLabel('New password', { exact: true }).fill('short');
  await form.getByLabel('Repeat the new password').fill('short');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByRole('alert')).toHaveText('At least 8 characters');
  await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await expect(form.getByRole('alert')).toHaveText("The passwords don't match");
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await fitsWidth(page)).toBe(true);
    await audit(page, `settings, password errors (${scheme})`);
  }
  await page.emulateMedia({ colorScheme: null });

  // A wrong current password is refused and signs nobody out.
  await form.getByLabel('Current password').fill('not my password');
  await form.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByRole('alert')).toContainText('current password is wrong');
  await expect(alice2.page.getByRole('heading', { name: 'Chats' })).toBeVisible();

  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByRole('status')).toHaveText('Password changed. 1 other device was signed out.');
  await expect(form.getByRole('alert')).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Devices' }).getByRole('listitem')).toHaveCount(1);

  // The other device is told at once and wiped.
  await expectSignedOut(alice2.page);
  await signInWith(alice2.page, alice.username, PASSWORD);
  await expect(alice2.page.getByRole('alert')).toContainText(/wrong username or password/i);
  await signInWith(alice2.page, alice.username, NEW_PASSWORD);
  await expect(alice2.page.getByRole('heading', { name: 'Chats' })).toBeVisible();
  await expect(alice2.page.getByText('before the change')).toBeVisible(); // cloud chats come back

  // This device stayed signed in throughout.
  await page.reload();
  await expect(page.getByRole('list', { name: 'Devices' }).getByRole('listitem')).toHaveCount(2);
  for (const u of [alice, bob, alice2]) await u.context.close();
});

test('"Sign out all other devices" signs them out at once after a confirmation', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice');
  const phone = await logIn(browser, relay, alice.username);
  const tablet = await logIn(browser, relay, alice.username);
  const page = alice.page;
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/settings');
  const devices = page.getByRole('list', { name: 'Devices' });
  await expect(devices.getByRole('listitem')).toHaveCount(3);
  // Every device shows its last activity.
  await expect(devices.getByTestId('last-active')).toHaveText(['just now', 'just now', 'just now']);

  await page.getByRole('button', { name: 'Sign out all other devices' }).click();
  // Nothing happens before the confirmation; cancelling keeps everyone signed in.
  await page.getByRole('button', { name: 'Cancel' }).first().click();
  await expect(devices.getByRole('listitem')).toHaveCount(3);
  await page.getByRole('button', { name: 'Sign out all other devices' }).click();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await fitsWidth(page)).toBe(true);
    await audit(page, `settings, sign out others (${scheme})`);
  }
  await page.getByRole('button', { name: 'Yes, sign them out' }).click();
  await expect(page.getByText('2 other devices were signed out.')).toBeVisible();
  await expect(devices.getByRole('listitem')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Sign out all other devices' })).toHaveCount(0);

  for (const d of [phone, tablet]) await expectSignedOut(d.page);
  // The password is unchanged.
  await signInWith(phone.page, alice.username, PASSWORD);
  await expect(phone.page.getByRole('heading', { name: 'Chats' })).toBeVisible();
  await page.reload();
  await expect(devices.getByRole('listitem')).toHaveCount(2);
  for (const u of [alice, phone, tablet]) await u.context.close();
});
