// Reactions: the message menu's quick reactions and the chips under the bubble, in a cloud chat and in
// a secret chat. Alice reacts to Bob's message and Bob's open chat shows it; Bob picks the same (a
// count of 2), Alice takes hers back; a reload shows the same.
import type { Page } from '@playwright/test';
import { expect, openChatWith, sendText, signUp, test, type User } from './fixtures';
import { menu, openMenu, row } from './message-helpers';
import { secretPair, sendSecret } from './secret-helpers';

test.describe.configure({ timeout: 180_000 });

const chip = (page: Page, text: string, label: string) => row(page, text).getByRole('button', { name: label, exact: true });
const chips = (page: Page, text: string) => row(page, text).locator('.reactions button');

/** Picks `emoji` in the message's menu (a quick reaction). */
async function react(page: Page, text: string, emoji: string) {
  await openMenu(page, text);
  await menu(page)
    .getByRole('menuitemradio', { name: `React ${emoji}` })
    .click();
  await expect(menu(page)).toHaveCount(0);
}

/** The whole exchange on one message of Bob's, both on its chat screen. */
async function exchange(alice: User, bob: User, text: string) {
  // Alice's 👍 on Bob's message: Bob sees it without a reload.
  await react(alice.page, text, '👍');
  await expect(chip(alice.page, text, '👍 by you')).toHaveAttribute('aria-pressed', 'true');
  await expect(chip(bob.page, text, '👍 by Alice')).toHaveAttribute('aria-pressed', 'false');
  // The menu marks the one that is mine.
  await openMenu(alice.page, text);
  await expect(menu(alice.page).getByRole('menuitemradio', { name: 'React 👍' })).toHaveAttribute('aria-checked', 'true');
  await alice.page.keyboard.press('Escape');

  // Bob taps Alice's chip: the same one is his too, a count of 2.
  await chip(bob.page, text, '👍 by Alice').click();
  await expect(chip(bob.page, text, '👍 by you and Alice')).toContainText('2');
  await expect(chip(bob.page, text, '👍 by you and Alice')).toHaveAttribute('aria-pressed', 'true');
  await expect(chip(alice.page, text, '👍 by you and Bob')).toContainText('2');

  // Alice picks another one (replaced), then takes it back by tapping her chip.
  await react(alice.page, text, '❤️');
  await expect(chip(bob.page, text, '❤️ by Alice')).toBeVisible();
  await expect(chip(bob.page, text, '👍 by you')).toBeVisible();
  await chip(alice.page, text, '❤️ by you').click();
  await expect(chips(alice.page, text)).toHaveCount(1);
  await expect(chip(alice.page, text, '👍 by Bob')).toHaveAttribute('aria-pressed', 'false');
  await expect(chips(bob.page, text)).toHaveCount(1);
  await expect(chip(bob.page, text, '👍 by you')).toBeVisible();

  // A reload keeps it, on both sides.
  for (const [page, label] of [
    [alice.page, '👍 by Bob'],
    [bob.page, '👍 by you']
  ] as const) {
    await page.reload();
    await expect(chip(page, text, label)).toBeVisible();
    await expect(chips(page, text)).toHaveCount(1);
  }
}

test('cloud chat: reactions reach the other side live, count both, and stay after a reload', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'Pizza tonight?');
  await openChatWith(alice.page, bob.username);
  await expect(row(alice.page, 'Pizza tonight?')).toBeVisible();
  await exchange(alice, bob, 'Pizza tonight?');
});

test('secret chat: reactions reach the other side live, count both, and stay after a reload', async ({ browser, relay }) => {
  const { alice, bob } = await secretPair(browser, relay);
  await sendSecret(bob.page, 'Movie at nine?');
  await expect(row(alice.page, 'Movie at nine?')).toBeVisible();
  await exchange(alice, bob, 'Movie at nine?');
  // No reactions on a service row: it has no menu.
  await expect(bob.page.locator('li.service .reactions')).toHaveCount(0);
});
