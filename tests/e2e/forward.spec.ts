// Forwarding between cloud chats: Alice forwards a message of her chat with Bob to her chat with Carol
// (the message menu's "Forward…", a dialog of her cloud chats, filtered by name); the chat opens and
// Carol sees it live as "Forwarded from Bob". The selection's Forward sends two in the chat's order,
// chosen with the keyboard. A secret chat offers no Forward at all (menu or selection), and is never a
// target. Offline, a forward shows at once as pending copies in the chat it went to, survives a reload,
// and reaches the peer once, in order, when the network returns.
import type { Page } from '@playwright/test';
import { expect, messageLog, openChatWith, sendText, signUp, test, controlledBySW } from './fixtures';
import { audit } from './axe';
import { menu, openMenu, row } from './message-helpers';
import { sendSecret, startSecretChat } from './secret-helpers';

test.describe.configure({ timeout: 180_000 });

const forwardDialog = (page: Page) => page.getByRole('dialog', { name: /^Forward/ });
const targets = (page: Page) => forwardDialog(page).getByRole('list', { name: 'Chats' }).getByRole('button');
const banner = (page: Page) => page.locator('[data-connection]');

test('a cloud message forwarded to another cloud chat shows its author; never from or to a secret chat', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const carol = await signUp(browser, relay, 'carol', 'Carol');
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'Lunch at noon?');
  await sendText(bob.page, 'At the usual place');
  await openChatWith(carol.page, alice.username);
  await sendText(carol.page, 'Hi Alice');

  // A secret chat between Alice and Bob: no Forward in its menu or its selection.
  await startSecretChat(alice.page, bob.username);
  await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible();
  await sendSecret(alice.page, 'Only between us');
  await expect(row(alice.page, 'Only between us')).toBeVisible();
  await openMenu(alice.page, 'Only between us');
  await expect(menu(alice.page).getByRole('menuitem', { name: 'Copy text' })).toBeVisible();
  await expect(menu(alice.page).getByRole('menuitem', { name: /Forward/ })).toHaveCount(0);
  await alice.page.keyboard.press('Escape');
  await row(alice.page, 'Only between us').getByRole('button', { name: 'Select message' }).click();
  await expect(alice.page.getByRole('button', { name: 'Delete', exact: true })).toBeVisible();
  await expect(alice.page.getByRole('button', { name: 'Forward', exact: true })).toHaveCount(0);
  await expect(forwardDialog(alice.page)).toHaveCount(0);

  // The cloud chat with Bob: the menu's Forward… opens the dialog, the focus in its filter.
  await openChatWith(alice.page, bob.username);
  await expect(row(alice.page, 'Lunch at noon?')).toBeVisible();
  await openMenu(alice.page, 'Lunch at noon?');
  await menu(alice.page).getByRole('menuitem', { name: 'Forward…' }).click();
  await expect(forwardDialog(alice.page)).toBeVisible();
  await expect(forwardDialog(alice.page).getByRole('searchbox', { name: 'Search chats' })).toBeFocused();
  // Her Saved Messages first, then her cloud chats only: Bob once (not his secret chat), and Carol.
  await expect(targets(alice.page)).toHaveCount(3);
  await expect(targets(alice.page).first()).toHaveText('Saved Messages');
  await expect(targets(alice.page).filter({ hasText: 'Bob' })).toHaveCount(1);
  await audit(alice.page, 'forward dialog');
  // Escape closes it, nothing forwarded, the focus back on the message's menu button.
  await alice.page.keyboard.press('Escape');
  await expect(forwardDialog(alice.page)).toBeHidden();
  await expect(row(alice.page, 'Lunch at noon?').getByRole('button', { name: 'Message actions' })).toBeFocused();

  // Again, filtered by name: Carol's chat opens with the copy.
  await openMenu(alice.page, 'Lunch at noon?');
  await menu(alice.page).getByRole('menuitem', { name: 'Forward…' }).click();
  await forwardDialog(alice.page).getByRole('searchbox', { name: 'Search chats' }).fill('car');
  await expect(targets(alice.page)).toHaveCount(1);
  await targets(alice.page).filter({ hasText: 'Carol' }).click();
  await expect(alice.page).toHaveURL(/\/chat\//);
  await expect(row(alice.page, 'Lunch at noon?')).toContainText('Forwarded from Bob');

  // Carol, on her chat with Alice, sees it live with its author.
  await expect(row(carol.page, 'Lunch at noon?')).toContainText('Forwarded from Bob');
  await expect(row(carol.page, 'Hi Alice')).not.toContainText('Forwarded');

  // The selection's Forward, picked newest first, chosen with the keyboard: both, in the chat's order.
  await openChatWith(alice.page, bob.username);
  await expect(row(alice.page, 'At the usual place')).toBeVisible();
  await row(alice.page, 'At the usual place').getByRole('button', { name: 'Select message' }).click();
  await row(alice.page, 'Lunch at noon?').getByRole('button', { name: 'Select message' }).click();
  await alice.page.getByRole('button', { name: 'Forward', exact: true }).click();
  await expect(forwardDialog(alice.page).getByRole('heading')).toHaveText('Forward 2 messages to…');
  await forwardDialog(alice.page).getByRole('searchbox', { name: 'Search chats' }).fill('Carol');
  await alice.page.keyboard.press('ArrowDown');
  await expect(targets(alice.page).first()).toBeFocused();
  await alice.page.keyboard.press('Enter');
  await expect(alice.page).toHaveURL(/\/chat\//);
  const texts = messageLog(carol.page).locator('li.msg p.text');
  await expect(texts).toHaveText(['Hi Alice', 'Lunch at noon?', 'Lunch at noon?', 'At the usual place']);
  await expect(row(carol.page, 'At the usual place')).toContainText('Forwarded from Bob');

  for (const u of [alice, bob, carol]) await u.context.close();
});

test('offline, a forward shows at once as pending in the chosen chat, survives a reload, and reaches the peer once when the network returns', async ({
  browser,
  relay
}) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const carol = await signUp(browser, relay, 'carol', 'Carol');
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'The gate code is 4521');
  await openChatWith(carol.page, alice.username);
  await sendText(carol.page, 'How do I get in?');
  await openChatWith(alice.page, bob.username);
  await expect(row(alice.page, 'The gate code is 4521')).toBeVisible();
  await controlledBySW(alice.page);

  await alice.context.setOffline(true);
  await expect(banner(alice.page)).toHaveText('Waiting for network…', { timeout: 2_000 });
  await openMenu(alice.page, 'The gate code is 4521');
  await menu(alice.page).getByRole('menuitem', { name: 'Forward…' }).click();
  await targets(alice.page).filter({ hasText: 'Carol' }).click();
  // Carol's chat opens with the copy, pending, and a message written after it.
  await expect(alice.page).toHaveURL(/\/chat\//);
  await expect(row(alice.page, 'How do I get in?')).toBeVisible();
  await sendText(alice.page, 'That is from Bob');
  const shownOffline = async () => {
    await expect(row(alice.page, 'The gate code is 4521')).toContainText('Forwarded from Bob');
    await expect(row(alice.page, 'The gate code is 4521').locator('[data-ticks="pending"]')).toHaveCount(1);
    await expect(messageLog(alice.page).locator('li.msg p.text')).toHaveText(['How do I get in?', 'The gate code is 4521', 'That is from Bob']);
    await expect(banner(alice.page)).toHaveText('Waiting for network… 2 messages queued');
  };
  await shownOffline();
  await expect(row(carol.page, 'The gate code is 4521')).toHaveCount(0);
  // A reload while still offline (the service worker serves the app; the outbox is read back).
  await alice.page.reload();
  await shownOffline();

  await alice.context.setOffline(false);
  const carolTexts = messageLog(carol.page).locator('li.msg p.text');
  await expect(carolTexts).toHaveText(['How do I get in?', 'The gate code is 4521', 'That is from Bob'], { timeout: 15_000 });
  await expect(row(carol.page, 'The gate code is 4521')).toContainText('Forwarded from Bob');
  // Alice: the relay's copy took the pending one's place (one row, sent), nothing waits.
  await expect(messageLog(alice.page).locator('[data-ticks="pending"]')).toHaveCount(0);
  await expect(row(alice.page, 'The gate code is 4521')).toHaveCount(1);
  await expect(row(alice.page, 'The gate code is 4521')).toContainText('Forwarded from Bob');
  await expect(banner(alice.page)).toHaveAttribute('data-queued', '0');
  // Read back from the relay after a reload: still once.
  await alice.page.reload();
  await expect(messageLog(alice.page).locator('li.msg p.text')).toHaveText(['How do I get in?', 'The gate code is 4521', 'That is from Bob']);
  await carol.page.reload();
  await expect(carolTexts).toHaveText(['How do I get in?', 'The gate code is 4521', 'That is from Bob']);

  for (const u of [alice, bob, carol]) await u.context.close();
});

test('offline, a forward of a message deleted meanwhile is taken back when the network returns, and the banner says why', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const carol = await signUp(browser, relay, 'carol', 'Carol');
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'Wrong address, ignore');
  await openChatWith(carol.page, alice.username);
  await sendText(carol.page, 'Any news?');
  await openChatWith(alice.page, bob.username);
  await expect(row(alice.page, 'Wrong address, ignore')).toBeVisible();
  await controlledBySW(alice.page);

  await alice.context.setOffline(true);
  await expect(banner(alice.page)).toHaveText('Waiting for network…', { timeout: 2_000 });
  await openMenu(alice.page, 'Wrong address, ignore');
  await menu(alice.page).getByRole('menuitem', { name: 'Forward…' }).click();
  await targets(alice.page).filter({ hasText: 'Carol' }).click();
  await expect(row(alice.page, 'Wrong address, ignore').locator('[data-ticks="pending"]')).toHaveCount(1);

  // Bob deletes it for everyone while Alice is away: the relay has no original left to copy.
  await openMenu(bob.page, 'Wrong address, ignore');
  await menu(bob.page).getByRole('menuitem', { name: 'Delete…' }).click();
  await bob.page.getByRole('alertdialog').getByRole('button', { name: 'Delete for everyone' }).click();
  await expect(row(bob.page, 'Wrong address, ignore')).toHaveCount(0);

  await alice.context.setOffline(false);
  await expect(banner(alice.page)).toHaveText('The message was not forwarded to Carol: the original was deleted meanwhile.', { timeout: 15_000 });
  await expect(row(alice.page, 'Wrong address, ignore')).toHaveCount(0);
  await expect(row(alice.page, 'Any news?')).toBeVisible();
  await expect(banner(alice.page)).toHaveAttribute('data-queued', '0');
  await expect(row(carol.page, 'Wrong address, ignore')).toHaveCount(0);

  for (const u of [alice, bob, carol]) await u.context.close();
});
