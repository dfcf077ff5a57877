/**
 * Deleting the account from Settings (issue #17): Alice and Bob share a cloud chat and a secret chat;
 * Alice deletes her account (password, username typed again, a dialog saying what happens). Her device
 * is wiped and shows the start screen, her second device is signed out at once, Bob's cloud chat drops
 * her messages (through the normal sync/delete path) and his secret chat ends with a service message
 * and no composer. The username is refused during the quarantine; on a server run with
 * USERNAME_QUARANTINE_DAYS=0 it is free again at once. Also the "delete if away" select.
 */
import type { Page } from '@playwright/test';
import { removeDir, startServer } from '../support/server';
import { audit } from './axe';
import { expect, logIn, messageLog, openChatWith, PASSWORD, sendText, signUp, test } from './fixtures';
import { sendSecret, startSecretChat } from './secret-helpers';

/** Fills the Delete account section and opens its dialog. */
async function reviewDeletion(page: Page, username: string, password = PASSWORD) {
  await page.goto('/settings');
  const section = page.getByRole('region', { name: 'Delete account' });
  await section.getByLabel('Password').fill(password);
  await section.getByLabel(/Type your username/).fill(username);
  await section.getByRole('button', { name: 'Delete account…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
  await expect(dialog).toBeVisible();
  return { section, dialog };
}

test('deleting the account: this device wiped, the other signed out, the peer sees it in both chats, the name quarantined', async ({ browser, relay }) => {
  test.setTimeout(300_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const alice2 = await logIn(browser, relay, alice.username);

  // A cloud chat both ways.
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'cloud hello from Alice');
  await openChatWith(bob.page, alice.username);
  await expect(messageLog(bob.page).getByText('cloud hello from Alice')).toBeVisible();
  await sendText(bob.page, 'cloud reply from Bob');
  await expect(messageLog(alice.page).getByText('cloud reply from Bob')).toBeVisible();

  // A secret chat, established, with a message each way (Bob's second tab holds it).
  const chatId = await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  const bobSecret = await bob.context.newPage();
  await bobSecret.goto(`/secret/${chatId}`);
  await sendSecret(alice.page, 'secret from Alice');
  await expect(messageLog(bobSecret).getByText('secret from Alice')).toBeVisible();
  await sendSecret(bobSecret, 'secret from Bob');
  await expect(messageLog(alice.page).getByText('secret from Bob')).toBeVisible();

  // Checked before anything is sent: both fields are required, the username must match.
  const page = alice.page;
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/settings');
  const section = page.getByRole('region', { name: 'Delete account' });
  await section.getByRole('button', { name: 'Delete account…' }).click();
  await expect(section.getByRole('alert')).toHaveText(['Enter your password', `Type ${alice.username} exactly`]);
  await expect(page.getByRole('dialog')).toHaveCount(0);

  // A wrong password is refused by the relay: nothing is deleted, nobody signed out.
  let { dialog } = await reviewDeletion(page, alice.username, 'not my password');
  await dialog.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.getByRole('region', { name: 'Delete account' }).getByRole('alert')).toContainText('password is wrong');
  await expect(alice2.page.getByRole('heading', { name: 'Chats' })).toBeVisible();

  // The dialog says what happens; accessible in light and dark at 360 px; Escape cancels.
  ({ dialog } = await reviewDeletion(page, alice.username));
  await expect(dialog).toContainText('every cloud message you sent is deleted');
  await expect(dialog).toContainText('secret chats with you end');
  await expect(dialog).toContainText('keep the copies already on their devices');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(page, `delete account dialog (${scheme})`);
  }
  await page.emulateMedia({ colorScheme: null });
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  ({ dialog } = await reviewDeletion(page, alice.username));
  await dialog.getByRole('button', { name: 'Delete my account' }).click();

  // This device: wiped, back at the start screen, told why.
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByText('Your account was deleted')).toBeVisible();
  // The second device: signed out at once.
  await expect(alice2.page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(alice2.page.getByText('This device was signed out')).toBeVisible();

  // Bob's cloud chat: Alice's message gone, his own kept.
  await expect(messageLog(bob.page).getByText('cloud hello from Alice')).toHaveCount(0);
  await expect(messageLog(bob.page).getByText('cloud reply from Bob')).toBeVisible();
  // Writing to her now fails once, then the chat says the account is gone and offers no composer.
  await sendText(bob.page, 'are you there?');
  await expect(bob.page.getByRole('status').filter({ hasText: 'This account was deleted' })).toBeVisible();
  await expect(bob.page.getByLabel('Message', { exact: true })).toHaveCount(0);
  await expect(bob.page.getByText('account deleted', { exact: true })).toBeVisible();
  // Opened again later: the relay's profile is read on open, so it is said at once.
  await bob.page.reload();
  await expect(bob.page.getByRole('status').filter({ hasText: 'This account was deleted' })).toBeVisible();
  // Bob's secret chat: ended with a service message, no composer; his copy of the history stays.
  await expect(bobSecret.getByText('Alice deleted their account. This secret chat has ended.')).toBeVisible();
  await expect(bobSecret.getByLabel('Message', { exact: true })).toHaveCount(0);
  await expect(messageLog(bobSecret).getByText('secret from Alice')).toBeVisible();
  // And after a reload (stored, not only shown).
  await bobSecret.reload();
  await expect(bobSecret.getByText('Alice deleted their account. This secret chat has ended.')).toBeVisible();
  await expect(bobSecret.getByLabel('Message', { exact: true })).toHaveCount(0);

  // The old password opens nothing; the username is quarantined.
  await page.goto('/signup');
  await page.getByLabel('Username').fill(alice.username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('alert')).toContainText('belonged to a deleted account');
  for (const u of [alice, bob, alice2]) await u.context.close();
});

test('with USERNAME_QUARANTINE_DAYS=0 the name is free at once; "delete if away" is a select', async ({ browser }) => {
  test.setTimeout(120_000);
  const relay = await startServer({ USERNAME_QUARANTINE_DAYS: '0' });
  try {
    const carol = await signUp(browser, relay, 'carol');
    const page = carol.page;
    await page.goto('/settings');
    const away = page.getByLabel('If away for');
    await expect(away).toHaveValue('0');
    await away.selectOption({ label: '6 months' });
    await expect(page.getByRole('region', { name: 'Delete my account if away' }).getByRole('status')).toContainText('6 months');
    await page.reload();
    await expect(page.getByLabel('If away for')).toHaveValue('6');

    const { dialog } = await reviewDeletion(page, carol.username);
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();

    await page.goto('/signup');
    await page.getByLabel('Username').fill(carol.username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect(page.getByRole('heading', { name: 'Chats' })).toBeVisible();
    // A new, empty account under the old name.
    await page.goto('/settings');
    await expect(page.getByLabel('If away for')).toHaveValue('0');
    await carol.context.close();
  } finally {
    await relay.stop();
    removeDir(relay.dataDir);
  }
});
