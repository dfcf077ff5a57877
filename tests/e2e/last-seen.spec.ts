/**
 * "Online" / "last seen", end to end (docs/api.md "Last seen"): Bob's open chat with Alice says "online"
 * while her page is open and "last seen just now" once her browser closes (live, no reload); her profile
 * says it too. Alice then picks Nobody in Settings → Privacy (axe-checked) and Bob's header turns to
 * "last seen recently" at once, and her other device's open Settings follows the change; hiding hers, she
 * sees only "last seen recently" of Bob (reciprocity); a secret chat's header says it beside the chat's tag.
 * A peer who deletes their account stops showing "online" in an open chat at once.
 */
import { audit } from './axe';
import { expect, logIn, openChatWith, PASSWORD, sendText, sendTextAndWait, signUp, test } from './fixtures';
import { startSecretChat } from './secret-helpers';

test.describe.configure({ timeout: 180_000 });

test('Bob sees Alice online, then "last seen just now" when she leaves, then "last seen recently" once she hides it', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  // A cloud chat between them: the default "My chats" shows them each other's exact last seen.
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'hi Bob');
  await openChatWith(bob.page, alice.username);
  const status = bob.page.locator('.peer-status');
  await expect(status).toHaveText('online');

  // Alice's browser closes: Bob's header follows live, without a reload.
  await alice.context.close();
  await expect(status).toHaveText(/^last seen (just now|1 minute ago)$/);
  await bob.page.goto(`/u/${alice.username}`);
  await expect(bob.page.locator('[data-last-seen]')).toHaveText(/^last seen (just now|1 minute ago)$/);
  await bob.page.getByRole('link', { name: 'Send message' }).click();

  // She comes back on another device: online again; there she hides her last seen.
  const again = await logIn(browser, relay, alice.username);
  await expect(status).toHaveText('online');
  await again.page.goto('/settings');
  const card = again.page.getByRole('region', { name: 'Privacy' });
  const group = card.getByRole('group', { name: 'Last seen & online' });
  await expect(group.getByRole('radio', { name: 'My chats' })).toBeChecked();
  await expect(card).toContainText("If you hide yours, you won't see others' either.");
  await audit(again.page, 'Settings → Privacy');
  // Her laptop has Settings open too: it follows the change made on the other device, without a reload.
  const laptop = await logIn(browser, relay, alice.username);
  await laptop.page.goto('/settings');
  const laptopGroup = laptop.page.getByRole('region', { name: 'Privacy' }).getByRole('group', { name: 'Last seen & online' });
  await expect(laptopGroup.getByRole('radio', { name: 'My chats' })).toBeChecked();
  await group.getByRole('radio', { name: 'Nobody' }).check();
  await expect(card.getByRole('status')).toHaveText('Saved.');
  await expect(group.getByRole('radio', { name: 'Nobody' })).toBeChecked();
  await expect(laptopGroup.getByRole('radio', { name: 'Nobody' })).toBeChecked();
  await laptop.context.close();

  // Bob's open chat turns to the approximate form at once, and stays so after a reload.
  await expect(status).toHaveText('last seen recently');
  await bob.page.reload();
  await expect(status).toHaveText('last seen recently');

  // Reciprocity: hiding hers, Alice sees only "last seen recently" of Bob, who is online.
  await openChatWith(again.page, bob.username);
  await expect(again.page.locator('.peer-status')).toHaveText('last seen recently');

  // A secret chat with her says it too, beside the chat's tag, once her device has joined it.
  await startSecretChat(bob.page, alice.username);
  const secretStatus = bob.page.locator('[data-secret-status="active"]');
  await expect(secretStatus.locator('[data-last-seen]')).toHaveText('last seen recently');
  await expect(secretStatus.locator('[data-secret-tag]')).toBeVisible();
});

test('a peer who deletes their account stops showing "online" in my open chat at once', async ({ browser, relay }) => {
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const carol = await signUp(browser, relay, 'carol', 'Carol');
  // Only Bob wrote: Carol's deletion leaves no message of hers to delete in his chat (no update, no `peer` event).
  await openChatWith(bob.page, carol.username);
  await sendTextAndWait(bob.page, 'hi Carol');
  // Asked before the chat existed, her last seen was the approximate form: read again now that they share one.
  await bob.page.reload();
  const status = bob.page.locator('.peer-status');
  await expect(status).toHaveText('online');

  await carol.page.goto('/settings');
  const section = carol.page.getByRole('region', { name: 'Delete account' });
  await section.getByLabel('Password').fill(PASSWORD);
  await section.getByLabel(/Type your username/).fill(carol.username);
  await section.getByRole('button', { name: 'Delete account…' }).click();
  await carol.page.getByRole('dialog', { name: 'Delete your account?' }).getByRole('button', { name: 'Delete my account' }).click();
  await expect(carol.page.getByText('Your account was deleted')).toBeVisible();
  // Bob's header drops her "online" without a reload.
  await expect(status).toHaveText(new RegExp(`^(@${carol.username}|account deleted)$`));
});
