// Editing a sent message: Edit in the message menu (mine, text, no timer), the composer with an
// "Editing" bar, Escape giving the draft back, and the new text marked "edited" on both sides.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, messageLog, openChatWith, PASSWORD, sendText, signUp, test } from './fixtures';
import { menu, openMenu, row } from './message-helpers';
import { secretPair, sendSecret } from './secret-helpers';

test.describe.configure({ timeout: 180_000 });

const PHOTO = readFileSync('static/icons/icon-512.png');
const composer = (page: Page) => page.getByLabel('Message', { exact: true });

/** The message showing the photo `name`. */
const photoRow = (page: Page, name: string) =>
  messageLog(page)
    .locator('li')
    .filter({ has: page.locator(`img[alt="${name}"]`) });

/** Sends a photo (no timer), with `caption` when given (both chats' panels have one). */
async function sendPhoto(page: Page, name: string, caption?: string) {
  await page.locator('input[type=file]').setInputFiles({ name, mimeType: 'image/png', buffer: PHOTO });
  const panel = page.getByRole('region', { name: 'Send photo' });
  if (caption !== undefined) await panel.getByLabel('Caption').fill(caption);
  await panel.getByRole('button', { name: 'Send photo' }).click();
  await expect(panel).toHaveCount(0);
}

/** Edits my photo `name`'s caption (from `from`) to `to` with the menu's Edit and the composer's Save. */
async function editCaption(page: Page, name: string, from: string, to: string) {
  await photoRow(page, name).hover();
  await photoRow(page, name).getByRole('button', { name: 'Message actions' }).click();
  await menu(page).getByRole('menuitem', { name: 'Edit' }).click();
  await expect(page.getByRole('group', { name: 'Editing' })).toContainText(from || 'Photo');
  await expect(composer(page)).toHaveValue(from);
  await composer(page).fill(to);
  // A file needs no caption: Save stays enabled for an empty one.
  await page.getByRole('button', { name: 'Save edit' }).click();
  await expect(page.getByRole('group', { name: 'Editing' })).toBeHidden();
}

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

test("secret chat: Alice edits a photo's caption, then removes it; Bob sees each, marked edited", async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  await sendPhoto(alice.page, 'pier.png', 'Sunset at the peir');
  await expect(photoRow(bob.page, 'pier.png')).toContainText('Sunset at the peir');

  await editCaption(alice.page, 'pier.png', 'Sunset at the peir', 'Sunset at the pier');
  for (const page of [alice.page, bob.page]) {
    await expect(photoRow(page, 'pier.png').locator('p.text')).toHaveText('Sunset at the pier');
    await expect(photoRow(page, 'pier.png')).toContainText('edited');
  }

  await editCaption(alice.page, 'pier.png', 'Sunset at the pier', '');
  for (const page of [alice.page, bob.page]) {
    await expect(photoRow(page, 'pier.png').locator('p.text')).toHaveCount(0);
    await expect(photoRow(page, 'pier.png')).toContainText('edited');
  }
});

test("cloud chat: Alice captions a photo she sent; Bob's open chat shows it, marked edited", async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'a photo for you');
  await openChatWith(bob.page, alice.username);
  await expect(row(bob.page, 'a photo for you')).toBeVisible();
  await sendPhoto(alice.page, 'harbour.png');
  await expect(photoRow(bob.page, 'harbour.png')).toBeVisible();
  await expect(photoRow(alice.page, 'harbour.png').locator('[data-ticks="sent"], [data-ticks="read"]')).toHaveCount(1);

  await editCaption(alice.page, 'harbour.png', '', 'The harbour at dawn');
  for (const page of [alice.page, bob.page]) {
    await expect(photoRow(page, 'harbour.png').locator('p.text')).toHaveText('The harbour at dawn');
    await expect(photoRow(page, 'harbour.png')).toContainText('edited');
  }
});
