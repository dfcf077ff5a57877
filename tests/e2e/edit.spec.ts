// Editing a sent message: Edit in the message menu (mine, text, no timer), the composer with an
// "Editing" bar, Escape giving the draft back, and the new text marked "edited" on both sides.
import type { Page } from '@playwright/test';
import { expect, openChatWith, PASSWORD, sendText, signUp, test } from './fixtures';
import { menu, openMenu, row } from './message-helpers';
import { secretPair, sendSecret } from './secret-helpers';

test.describe.configure({ timeout: 180_000 });

const composer = (page: Page) => page.getByLabel('Message', { exact: true });

/** Edits my message `from` to `to` with the menu's Edit and the composer's Save. */
async function edit(page: Page, from: string, to: string) {
  await openMenu(page, from);
  await menu(page).getByRole('menuitem', { name: 'Edit' }).click();
  await expect(page.getByRole('group', { name: 'Editing' })).toContainText(from);
  await expect(composer(page)).toHaveValue(from);
  await composer(page).fill(to);
  await page.getByRole('button', { name: 'Save edit' }).click();
  await expect(page.getByRole('group', { name: 'Editing' })).toBeHidden();
}

test('secret chat: Alice edits her message; Bob sees the new text marked edited, and his reply quotes it', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  await sendSecret(alice.page, 'See you at 8');
  await expect(row(bob.page, 'See you at 8')).toBeVisible();
  // Bob replies, quoting it.
  await openMenu(bob.page, 'See you at 8');
  // Not his message: no Edit.
  await expect(menu(bob.page).getByRole('menuitem', { name: 'Edit' })).toHaveCount(0);
  await menu(bob.page).getByRole('menuitem', { name: 'Reply' }).click();
  await sendSecret(bob.page, 'OK!');
  await expect(row(alice.page, 'OK!')).toBeVisible();

  // A draft waits while Alice edits; Escape gives it back untouched.
  await composer(alice.page).fill('half-typed');
  await openMenu(alice.page, 'See you at 8');
  await menu(alice.page).getByRole('menuitem', { name: 'Edit' }).click();
  await expect(composer(alice.page)).toHaveValue('See you at 8');
  // A blank text cannot be saved.
  await composer(alice.page).fill('  ');
  await expect(alice.page.getByRole('button', { name: 'Save edit' })).toBeDisabled();
  await composer(alice.page).press('Escape');
  await expect(alice.page.getByRole('group', { name: 'Editing' })).toBeHidden();
  await expect(composer(alice.page)).toHaveValue('half-typed');

  await edit(alice.page, 'See you at 8', 'See you at 9');
  await expect(composer(alice.page)).toHaveValue('half-typed');
  await expect(row(alice.page, 'See you at 9')).toContainText('edited');
  await expect(row(alice.page, 'See you at 8')).toHaveCount(0);

  await expect(row(bob.page, 'See you at 9')).toContainText('edited');
  await expect(row(bob.page, 'See you at 8')).toHaveCount(0);
  // Bob's reply quotes the new text.
  await expect(row(bob.page, 'OK!').locator('.reply-quote')).toContainText('See you at 9');
  await expect(row(alice.page, 'OK!').locator('.reply-quote')).toContainText('See you at 9');
  // The chat list's preview follows the newest message (Bob's reply), unchanged; the draft was kept.
  await alice.page.goto('/');
  await expect(alice.page.getByText('half-typed')).toBeVisible();
});

test("cloud chat: Alice edits her message; Bob's page and Alice's other device show the new text marked edited", async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'Lunch at noon?');
  await openChatWith(bob.page, alice.username);
  await expect(row(bob.page, 'Lunch at noon?')).toBeVisible();
  // Alice's second device, on the same chat.
  const laptop = await browser.newContext({ baseURL: relay.url });
  const other = await laptop.newPage();
  await other.goto('/login');
  await other.getByLabel('Username').fill(alice.username);
  await other.getByLabel('Password').fill(PASSWORD);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await expect(other.getByRole('heading', { name: 'Chats' })).toBeVisible();
  await openChatWith(other, bob.username);
  await expect(row(other, 'Lunch at noon?')).toBeVisible();

  // Bob cannot edit Alice's message.
  await openMenu(bob.page, 'Lunch at noon?');
  await expect(menu(bob.page).getByRole('menuitem', { name: 'Edit' })).toHaveCount(0);
  await bob.page.keyboard.press('Escape');

  await edit(alice.page, 'Lunch at noon?', 'Lunch at one?');
  await expect(row(alice.page, 'Lunch at one?')).toContainText('edited');
  await expect(row(bob.page, 'Lunch at one?')).toContainText('edited');
  await expect(row(bob.page, 'Lunch at noon?')).toHaveCount(0);
  await expect(row(other, 'Lunch at one?')).toContainText('edited');
  // The chat list's preview follows: it was the last message.
  await bob.page.goto('/');
  await expect(bob.page.getByText('Lunch at one?')).toBeVisible();
  await laptop.close();
});

test('cloud chat: an edit of a message far back in an open window shows there too, and in the replies quoting it', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'Meet at the old bridge');
  await openChatWith(bob.page, alice.username);
  await expect(row(bob.page, 'Meet at the old bridge')).toBeVisible();
  await openMenu(bob.page, 'Meet at the old bridge');
  await menu(bob.page).getByRole('menuitem', { name: 'Reply' }).click();
  await sendText(bob.page, 'Which bridge?');
  // More messages than the page an open window re-reads when something changes (CHAT_PAGE, 50).
  for (let i = 1; i <= 55; i++) await sendText(alice.page, `filler ${i}`);
  await expect(row(bob.page, 'filler 55')).toBeVisible();
  await expect(row(bob.page, 'Meet at the old bridge')).toHaveCount(1);

  await edit(alice.page, 'Meet at the old bridge', 'Meet at the new bridge');
  await expect(row(bob.page, 'Meet at the new bridge')).toContainText('edited');
  await expect(row(bob.page, 'Meet at the old bridge')).toHaveCount(0);
  await expect(row(bob.page, 'Which bridge?').locator('.reply-quote')).toContainText('Meet at the new bridge');
});
