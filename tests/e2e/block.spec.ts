/**
 * Blocking a user, end to end: Alice blocks Bob from his profile (asked first). Bob's next cloud message
 * is refused with a readable reason under it and never reaches Alice; in their secret chat (sealed: the
 * relay cannot tell who writes) Alice's device drops what Bob sends. Alice's chats with Bob show "You
 * blocked this user." with Unblock instead of the composer; her second device lists Bob in Settings →
 * Blocked users (offline too, where unblocking says it needs the connection). Unblocked, messages flow
 * again both ways, in both chats. axe checks the blocked bar, the settings card and the refused message.
 */
import type { Page } from '@playwright/test';
import { audit } from './axe';
import { expect, logIn, messageLog, openChatWith, sendText, signUp, test, controlledBySW } from './fixtures';
import { row } from './message-helpers';
import { secretPair, sendSecret } from './secret-helpers';

test.describe.configure({ timeout: 240_000 });

const blockedBar = (page: Page) => page.getByRole('region', { name: 'Blocked user', exact: true });
const blockedCard = (page: Page) => page.getByRole('region', { name: 'Blocked users' });
const composer = (page: Page) => page.getByLabel('Message', { exact: true });

test('Alice blocks Bob: his cloud and secret messages never reach her, her other device lists him, and after the unblock both flow again', async ({ browser, relay }) => {
  const { alice, bob, chatId } = await secretPair(browser, relay);
  // A cloud chat too, with a message each way before the block.
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'hi Alice');
  await openChatWith(alice.page, bob.username);
  await expect(row(alice.page, 'hi Alice')).toBeVisible();
  await sendText(alice.page, 'hi Bob');
  await expect(row(bob.page, 'hi Bob')).toBeVisible();

  // Block from Bob's profile: "…" → "Block user", asked first, saying what it does.
  await alice.page.goto(`/u/${bob.username}`);
  await alice.page.getByRole('button', { name: 'More actions' }).click();
  await alice.page.getByRole('menuitem', { name: 'Block user' }).click();
  const ask = alice.page.getByRole('alertdialog', { name: 'Block Bob?' });
  await expect(ask).toContainText('Bob will not be able to message you, start a secret chat with you or see you typing');
  await ask.getByRole('button', { name: 'Block user' }).click();
  await expect(ask).toBeHidden();
  await expect(alice.page.getByText('You blocked this user. They cannot message you')).toBeVisible();
  await alice.page.getByRole('button', { name: 'More actions' }).click();
  await expect(alice.page.getByRole('menuitem', { name: 'Unblock user' })).toBeVisible();
  await expect(alice.page.getByRole('menuitem', { name: 'Start Secret Chat' })).toHaveCount(0);
  await alice.page.keyboard.press('Escape');

  // Bob's next cloud message: refused for good, its text kept, the reason under it; nothing reaches Alice.
  await sendText(bob.page, 'are you ignoring me?');
  const refused = row(bob.page, 'are you ignoring me?');
  await expect(refused.locator('[data-ticks="failed"]')).toBeVisible();
  await expect(refused.locator('[data-failure]')).toHaveText('Not sent: this user blocked you.');
  await expect(bob.page.locator('[data-connection]')).toContainText('Not sent: this user blocked you.');
  await audit(bob.page, 'a message refused because of a block');

  // Alice's cloud chat with Bob (his profile's "Send message"): the blocked bar instead of the composer, and no new message.
  await alice.page.getByRole('link', { name: 'Send message' }).click();
  await expect(blockedBar(alice.page)).toContainText('You blocked this user.');
  await expect(composer(alice.page)).toHaveCount(0);
  await expect(row(alice.page, 'hi Bob')).toBeVisible();
  await audit(alice.page, 'cloud chat with a blocked user');
  await alice.page.getByRole('button', { name: 'Chat actions' }).click();
  await expect(alice.page.getByRole('menuitem', { name: 'Unblock user' })).toBeVisible();
  await alice.page.keyboard.press('Escape');
  await alice.page.reload();
  await expect(blockedBar(alice.page)).toBeVisible();
  await expect(row(alice.page, 'hi Alice')).toBeVisible();
  await expect(row(alice.page, 'are you ignoring me?')).toHaveCount(0);

  // The secret chat: Bob still writes (sealed: the relay cannot tell); Alice's device drops it.
  await bob.page.goto(`/secret/${chatId}`);
  await sendSecret(bob.page, 'secret after the block');
  await expect(row(bob.page, 'secret after the block').locator('[data-ticks="sent"]')).toBeVisible();
  await alice.page.goto(`/secret/${chatId}`);
  await expect(blockedBar(alice.page)).toContainText('You blocked this user.');
  await expect(composer(alice.page)).toHaveCount(0);
  await audit(alice.page, 'secret chat with a blocked user');

  // Alice's second device: Bob in Settings → Blocked users, offline too.
  const second = await logIn(browser, relay, alice.username);
  await second.page.goto('/settings');
  await expect(blockedCard(second.page).getByRole('link', { name: 'Bob' })).toBeVisible();
  await audit(second.page, 'settings with a blocked user');
  await controlledBySW(second.page);
  await second.context.setOffline(true);
  await second.page.reload();
  await expect(blockedCard(second.page).getByRole('link', { name: 'Bob' })).toBeVisible();
  await blockedCard(second.page).getByRole('button', { name: 'Unblock Bob' }).click();
  await expect(blockedCard(second.page).getByRole('alert')).toHaveText(
    "Unblocking needs a connection to Cinder's server. Nothing changed: try again once you are online."
  );
  await second.context.setOffline(false);

  // Unblock from the secret chat's blocked bar: the composer is back on both of Alice's chats, and her other device's list empties.
  await blockedBar(alice.page).getByRole('button', { name: 'Unblock' }).click();
  await expect(blockedBar(alice.page)).toHaveCount(0);
  await expect(composer(alice.page)).toBeVisible();
  await expect(blockedCard(second.page).getByTestId('no-blocked')).toHaveText(/You haven't blocked anyone/, { timeout: 30_000 });
  await audit(second.page, 'settings without blocked users');

  // Secret messages flow again both ways; the one sent while blocked never shows (Bob's next one, after it in order, does).
  await sendSecret(bob.page, 'secret after the unblock');
  await expect(row(alice.page, 'secret after the unblock')).toBeVisible();
  await expect(messageLog(alice.page).getByText('secret after the block', { exact: true })).toHaveCount(0);
  await sendSecret(alice.page, 'secret welcome back');
  await expect(row(bob.page, 'secret welcome back')).toBeVisible();

  // Cloud messages too.
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'hello again');
  await openChatWith(alice.page, bob.username);
  await expect(row(alice.page, 'hello again')).toBeVisible();
  await expect(row(alice.page, 'are you ignoring me?')).toHaveCount(0);
  await sendText(alice.page, 'welcome back');
  await expect(row(bob.page, 'welcome back')).toBeVisible();
  await expect(row(bob.page, 'are you ignoring me?').locator('[data-failure]')).toBeVisible();
  await second.context.close();
});

test('an empty chat with a blocked user does not invite a hello its composer cannot send', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await alice.page.goto(`/u/${bob.username}`);
  await alice.page.getByRole('link', { name: 'Send message' }).click();
  await expect(alice.page.getByText('No messages here yet. Say hello!')).toBeVisible();
  await alice.page.goto(`/u/${bob.username}`);
  await alice.page.getByRole('button', { name: 'More actions' }).click();
  await alice.page.getByRole('menuitem', { name: 'Block user' }).click();
  await alice.page.getByRole('alertdialog', { name: 'Block Bob?' }).getByRole('button', { name: 'Block user' }).click();
  await alice.page.getByRole('link', { name: 'Send message' }).click();
  await expect(blockedBar(alice.page)).toBeVisible();
  await expect(alice.page.getByText('No messages here.', { exact: true })).toBeVisible();
  await expect(alice.page.getByText(/Say hello/)).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});
