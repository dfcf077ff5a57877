/**
 * "Mark as unread" / "Mark as read", as in Telegram: a chat's row menu marks a chat with nothing unread;
 * the mark is a badge without a number, counted as 1 in the title; a cloud chat's reaches my other device
 * live (also when made offline, once the network returns), and opening the chat on either device takes it
 * off on both. "Mark as read" on a cloud chat with unread messages reads them (the peer sees two ticks).
 * A secret chat's mark stays on its device and goes when the chat is opened; its unread messages are
 * never read from the list (their receipts start the sender's timers).
 */
import type { Locator, Page } from '@playwright/test';
import { audit } from './axe';
import { apiPeer, banner, chatMenu, expect, logIn, mainList, messageLog, myId, openChatWith, sendText, sendTextAndWait, signUp, test, controlledBySW } from './fixtures';
import { secretPair, sendSecret } from './secret-helpers';

const cloudRow = (page: Page, username: string) => mainList(page).locator(`a[data-chat="${username}"]`);
const secretRow = (page: Page, chatId: string) => mainList(page).locator(`a[href="/secret/${chatId}"]`);
const mark = (row: Locator) => row.getByRole('img', { name: 'marked as unread', exact: true });

/** Opens a row's menu by a right click and picks `item`. */
async function pick(page: Page, row: Locator, item: string) {
  await row.click({ button: 'right' });
  await chatMenu(page).getByRole('menuitem', { name: item, exact: true }).click();
  await expect(chatMenu(page)).toBeHidden();
}

/** The row menu's items, in order (then closed). */
async function menuItems(page: Page, row: Locator): Promise<string[]> {
  await row.click({ button: 'right' });
  await expect(chatMenu(page)).toBeVisible();
  const items = (await chatMenu(page).getByRole('menuitem').allTextContents()).map((t) => t.trim());
  await page.keyboard.press('Escape');
  await expect(chatMenu(page)).toBeHidden();
  return items;
}

test('a cloud chat marked as unread on one device shows so on my other live; opening it there clears it here; Mark as read gives the peer two ticks', async ({
  browser,
  relay
}) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const page = alice.page;
  await page.setViewportSize({ width: 390, height: 800 });
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'hi Alice');

  // Read on this device: nothing unread, so the menu offers Mark as unread.
  await page.goto('/');
  await cloudRow(page, bob.username).click();
  await expect(messageLog(page).getByText('hi Alice')).toBeVisible();
  await expect(messageLog(bob.page).locator('[data-ticks="read"]')).toHaveCount(1);
  await page.goto('/');
  await expect(page).toHaveTitle(/^Chats/);
  const second = await logIn(browser, relay, alice.username);
  await expect(cloudRow(second.page, bob.username)).toBeVisible();

  expect(await menuItems(page, cloudRow(page, bob.username))).toEqual(['Pin', 'Mute…', 'Mark as unread', 'Archive', 'Clear history…', 'Delete chat…']);
  await pick(page, cloudRow(page, bob.username), 'Mark as unread');
  await expect(mark(cloudRow(page, bob.username))).toBeVisible();
  await expect(cloudRow(page, bob.username)).toHaveAttribute('data-marked-unread', '');
  await expect(page).toHaveTitle(/^\(1\) /);
  expect(await menuItems(page, cloudRow(page, bob.username))).toContain('Mark as read');
  await page.screenshot({ path: 'test-results/mark-unread-mobile.png' });
  for (const scheme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(page, `chat list with a chat marked as unread (${scheme})`);
  }
  // Bob learns nothing: his chat with Alice shows no badge.
  await bob.page.goto('/');
  await expect(cloudRow(bob.page, alice.username)).toBeVisible();
  await expect(cloudRow(bob.page, alice.username)).not.toHaveAttribute('data-marked-unread');

  // My other device: the mark comes live; opened there, it goes on both.
  await expect(mark(cloudRow(second.page, bob.username))).toBeVisible();
  await cloudRow(second.page, bob.username).click();
  await expect(messageLog(second.page).getByText('hi Alice')).toBeVisible();
  await expect(mark(cloudRow(page, bob.username))).toHaveCount(0);
  await expect(page).toHaveTitle(/^Chats/);
  await second.page.goto('/');
  await expect(cloudRow(second.page, bob.username)).toBeVisible();
  await expect(mark(cloudRow(second.page, bob.username))).toHaveCount(0);

  // Bob writes; Alice reads it from the list with Mark as read: Bob's message shows two ticks.
  await cloudRow(bob.page, alice.username).click();
  await sendText(bob.page, 'are you there?');
  const asked = messageLog(bob.page).locator('li').filter({ hasText: 'are you there?' });
  await expect(asked.locator('[data-ticks="sent"]')).toBeVisible();
  await expect(cloudRow(page, bob.username).getByLabel('1 unread', { exact: true })).toBeVisible();
  await pick(page, cloudRow(page, bob.username), 'Mark as read');
  await expect(cloudRow(page, bob.username).getByLabel('1 unread', { exact: true })).toHaveCount(0);
  await expect(asked.locator('[data-ticks="read"]')).toBeVisible();
  await expect(cloudRow(second.page, bob.username).getByLabel('1 unread', { exact: true })).toHaveCount(0);

  // Saved Messages are never unread: no such item there.
  await page.locator('[data-saved-messages]').click();
  await sendTextAndWait(page, 'a note');
  await page.goto('/');
  const savedRow = mainList(page).locator(`a[data-chat]`).filter({ hasText: 'Saved Messages' });
  const items = await menuItems(page, savedRow);
  expect(items).not.toContain('Mark as unread');
  expect(items).not.toContain('Mark as read');
  await second.context.close();
  await alice.context.close();
  await bob.context.close();
});

test('marked offline: the badge shows at once and after an offline reload, and reaches my other device when the network returns', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const carol = await apiPeer(relay.url, 'Carol');
  await carol.say(await myId(alice.page), 'hello from Carol');
  const page = alice.page;
  await page.goto('/');
  await cloudRow(page, carol.username).click();
  await expect(messageLog(page).getByText('hello from Carol')).toBeVisible();
  await page.goto('/');
  await expect(cloudRow(page, carol.username).getByLabel('1 unread', { exact: true })).toHaveCount(0);
  await controlledBySW(page);

  await alice.context.setOffline(true);
  await expect(banner(page)).toHaveText('Waiting for network…', { timeout: 2_000 });
  await pick(page, cloudRow(page, carol.username), 'Mark as unread');
  await expect(mark(cloudRow(page, carol.username))).toBeVisible();
  await expect(banner(page)).toHaveText('Waiting for network… 1 change queued');
  await page.reload();
  await expect(mark(cloudRow(page, carol.username))).toBeVisible();

  await alice.context.setOffline(false);
  await expect(banner(page)).toBeHidden();
  const second = await logIn(browser, relay, alice.username);
  await expect(mark(cloudRow(second.page, carol.username))).toBeVisible({ timeout: 30_000 });
  await second.context.close();
  await alice.context.close();
  await carol.ctx.dispose();
});

test("a secret chat's mark stays on its device (the relay never hears of it) and goes when the chat is opened; its unread messages are not read from the list", async ({
  browser,
  relay
}) => {
  const { alice, bob, chatId } = await secretPair(browser, relay);
  const page = alice.page;
  const told: string[] = [];
  page.on('request', (r) => void (r.url().includes('/settings') && told.push(`${r.method()} ${r.url()}`)));
  await page.goto('/');
  await pick(page, secretRow(page, chatId), 'Mark as unread');
  await expect(mark(secretRow(page, chatId))).toBeVisible();
  await expect(page).toHaveTitle(/^\(1\) /);
  await page.reload();
  await expect(mark(secretRow(page, chatId))).toBeVisible();
  // My other device has no such chat, and no mark anywhere.
  const second = await logIn(browser, relay, alice.username);
  await expect(second.page).toHaveTitle(/^Chats/);
  await expect(second.page.locator('[data-marked-unread]')).toHaveCount(0);
  await second.context.close();

  // Opened: the mark goes.
  await secretRow(page, chatId).click();
  await expect(page.getByText('Bob joined your secret chat.')).toBeVisible();
  await page.goto('/');
  await expect(secretRow(page, chatId)).toBeVisible();
  await expect(mark(secretRow(page, chatId))).toHaveCount(0);
  expect(told).toEqual([]);

  // Bob writes: the list counts it, and offers no Mark as read (only the chat's screen reads it).
  await sendSecret(bob.page, 'psst');
  await expect(secretRow(page, chatId).getByLabel('1 unread', { exact: true })).toBeVisible();
  const items = await menuItems(page, secretRow(page, chatId));
  expect(items).not.toContain('Mark as read');
  expect(items).not.toContain('Mark as unread');
  await expect(messageLog(bob.page).locator('li').filter({ hasText: 'psst' }).locator('[data-ticks="sent"]')).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});
