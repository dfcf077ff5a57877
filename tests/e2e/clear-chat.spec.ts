/**
 * Clear history / delete chat in cloud chats, asked first with "Also delete for <name>": for me only,
 * the messages leave every device of mine (live on my second one) while the peer keeps them, a later
 * message shows and a reload keeps them cleared; Delete chat for both takes them from the peer's open
 * chat live and the chat from my list until the peer writes again.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, logIn, messageLog, openChatWith, sendText, signUp, test } from './fixtures';

const mainList = (page: Page) => page.getByRole('list', { name: 'Chats', exact: true });
const cloudRow = (page: Page, username: string) => mainList(page).locator(`a[data-chat="${username}"]`);
const bubble = (page: Page, text: string) => messageLog(page).locator('p.text', { hasText: text });
const dialog = (page: Page) => page.getByRole('alertdialog');

/** Picks `item` in the open chat's "…" menu. */
async function chatMenu(page: Page, item: string) {
  await page.getByRole('button', { name: 'Chat actions' }).click();
  await page.getByRole('menu', { name: 'Chat actions' }).getByRole('menuitem', { name: item, exact: true }).click();
}

async function confirm(page: Page, answer: string, alsoFor?: string) {
  await expect(dialog(page)).toBeVisible();
  if (alsoFor) await dialog(page).getByLabel(`Also delete for ${alsoFor}`).check();
  await dialog(page).getByRole('button', { name: answer, exact: true }).click();
  await expect(dialog(page)).toBeHidden();
}

async function both(page: Page, texts: string[], visible: boolean) {
  for (const t of texts) await (visible ? expect(bubble(page, t)).toBeVisible() : expect(bubble(page, t)).toHaveCount(0));
}

test('clear history for me: gone on my second device too, the peer keeps it; a later message shows; a reload keeps it cleared', async ({ browser, relay }) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'from alice one');
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'from bob one');
  await both(alice.page, ['from alice one', 'from bob one'], true);
  const phone = await logIn(browser, relay, alice.username);
  await openChatWith(phone.page, bob.username);
  await both(phone.page, ['from alice one', 'from bob one'], true);

  await chatMenu(alice.page, 'Clear history…');
  await expect(dialog(alice.page)).toContainText('Clear history with Bob?');
  await expect(dialog(alice.page).getByLabel('Also delete for Bob')).not.toBeChecked();
  await confirm(alice.page, 'Clear history');
  await both(alice.page, ['from alice one', 'from bob one'], false);
  await both(phone.page, ['from alice one', 'from bob one'], false);
  await both(bob.page, ['from alice one', 'from bob one'], true);

  await sendText(bob.page, 'from bob two');
  await expect(bubble(alice.page, 'from bob two')).toBeVisible();
  await expect(bubble(phone.page, 'from bob two')).toBeVisible();
  await alice.page.reload();
  await expect(bubble(alice.page, 'from bob two')).toBeVisible();
  await both(alice.page, ['from alice one', 'from bob one'], false);
  // The chat stays in the list.
  await alice.page.goto('/');
  await expect(cloudRow(alice.page, bob.username)).toBeVisible();
});

test('delete chat for both: gone from the peer live and from my list until the peer writes again', async ({ browser, relay }) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'secret plan');
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'sounds good');
  await both(alice.page, ['secret plan', 'sounds good'], true);

  await alice.page.goto('/');
  const row: Locator = cloudRow(alice.page, bob.username);
  await row.click({ button: 'right' });
  await alice.page.getByRole('menu', { name: 'Chat options' }).getByRole('menuitem', { name: 'Delete chat…', exact: true }).click();
  await expect(dialog(alice.page)).toContainText('Delete the chat with Bob?');
  await confirm(alice.page, 'Delete chat', 'Bob');
  await expect(row).toHaveCount(0);
  await both(bob.page, ['secret plan', 'sounds good'], false);

  await sendText(bob.page, 'are you there?');
  await expect(row).toBeVisible();
  await row.click();
  await expect(bubble(alice.page, 'are you there?')).toBeVisible();
  await both(alice.page, ['secret plan', 'sounds good'], false);
});
