// Saved Messages: my cloud chat with myself. It opens from the chat list's header (before it holds
// anything, offline too), is called "Saved Messages" (never my own name), offers no Block, and is the
// first target of the Forward dialog. A note, a file (no timer offered) and a forward into it reach my
// other device live, once each, with ticks that never go past "sent" and nothing unread; a delete there
// goes from every device. A note written offline waits with a clock and goes when the network returns.
import type { Page } from '@playwright/test';
import { audit } from './axe';
import { expect, logIn, messageLog, openChatWith, sendText, signUp, test, controlledBySW } from './fixtures';
import { menu, openMenu, row } from './message-helpers';

test.describe.configure({ timeout: 180_000 });

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const SAVED = 'Saved Messages';
const openSaved = async (page: Page) => {
  await page.goto('/');
  await page.getByRole('link', { name: SAVED, exact: true }).click();
  await expect(page.locator('header .peer-name')).toHaveText(SAVED);
  await expect(page.getByLabel('Message', { exact: true })).toBeVisible();
};
const notes = (page: Page) => messageLog(page).locator('li.msg');
const forwardTargets = (page: Page) =>
  page
    .getByRole('dialog', { name: /^Forward/ })
    .getByRole('list', { name: 'Chats' })
    .getByRole('button');
const chatRow = (page: Page, name: string) => page.getByRole('list', { name: 'Chats' }).getByRole('link').filter({ hasText: name });

test('Saved Messages: a note and a forward into it reach my other device live, once each, never read or unread', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'The gate code is 4521');
  const laptop = await logIn(browser, relay, alice.username);

  // Empty at first: it opens from the header, under its own name, with nobody to block.
  await openSaved(alice.page);
  // (Bob's unread message counts in front.)
  await expect(alice.page).toHaveTitle(`(1) ${SAVED} · Cinder`);
  await expect(alice.page.getByText('Keep notes here')).toBeVisible();
  await alice.page.getByRole('button', { name: 'Chat actions' }).click();
  await expect(alice.page.getByRole('menuitem', { name: 'Search' })).toBeVisible();
  await expect(alice.page.getByRole('menuitem', { name: /Block/ })).toHaveCount(0);
  await alice.page.keyboard.press('Escape');
  await audit(alice.page, 'saved messages');
  await openSaved(laptop.page);

  await sendText(alice.page, 'Buy oat milk');
  await expect(row(alice.page, 'Buy oat milk').locator('[data-ticks="sent"]')).toHaveCount(1);
  // A file there has no timer to choose: nobody else would open it.
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'plan.pdf', mimeType: 'application/pdf', buffer: PDF });
  const panel = alice.page.getByRole('region', { name: 'Send file' });
  await expect(panel).toContainText('Stays until deleted.');
  await expect(panel.getByLabel('Self-destruct timer')).toHaveCount(0);
  await panel.getByRole('button', { name: 'Send file' }).click();
  await expect(notes(alice.page).filter({ hasText: 'plan.pdf' }).locator('[data-ticks="sent"]')).toHaveCount(1);
  // From the chat with Bob: Saved Messages is the Forward dialog's first target.
  await openChatWith(alice.page, bob.username);
  await openMenu(alice.page, 'The gate code is 4521');
  await menu(alice.page).getByRole('menuitem', { name: 'Forward…' }).click();
  await expect(forwardTargets(alice.page)).toHaveText([SAVED, /Bob/]);
  await forwardTargets(alice.page).first().click();
  await expect(alice.page.locator('header .peer-name')).toHaveText(SAVED);
  await expect(row(alice.page, 'The gate code is 4521')).toContainText('Forwarded from Bob');

  // The laptop, open on Saved Messages, got them live, each once.
  await expect(notes(laptop.page)).toHaveCount(3);
  await expect(notes(laptop.page).locator('p.text')).toHaveText(['Buy oat milk', 'The gate code is 4521']);
  await expect(notes(laptop.page).nth(1)).toContainText('plan.pdf');
  await expect(row(laptop.page, 'The gate code is 4521')).toContainText('Forwarded from Bob');
  // Nobody else reads them: the ticks stay "sent" on both devices, and nothing is unread.
  for (const page of [alice.page, laptop.page]) await expect(notes(page).locator('[data-ticks="sent"]')).toHaveCount(3);
  await expect(notes(alice.page).locator('[data-ticks="read"]')).toHaveCount(0);
  // Deleted on the laptop "on all my devices": gone from the phone too.
  await row(laptop.page, 'Buy oat milk').click({ button: 'right' });
  await menu(laptop.page).getByRole('menuitem', { name: 'Delete…' }).click();
  await expect(laptop.page.getByRole('alertdialog').getByRole('button')).toHaveText(['Delete for me', 'Delete on all my devices', 'Cancel']);
  await laptop.page.getByRole('alertdialog').getByRole('button', { name: 'Delete on all my devices' }).click();
  await expect(row(alice.page, 'Buy oat milk')).toHaveCount(0);
  await expect(notes(alice.page)).toHaveCount(2);
  for (const page of [alice.page, laptop.page]) {
    await page.goto('/');
    await expect(chatRow(page, SAVED)).toContainText('The gate code is 4521');
    await expect(chatRow(page, SAVED)).not.toContainText('Alice');
    await expect(chatRow(page, SAVED).locator('.badge')).toHaveCount(0);
  }
  // Bob saw none of it.
  await expect(notes(bob.page).locator('p.text')).toHaveText(['The gate code is 4521']);

  // Nothing ever notifies here: neither its row's menu nor its "…" offers Mute… (nor Unmute).
  await chatRow(alice.page, SAVED).click({ button: 'right' });
  const rowMenu = alice.page.getByRole('menu', { name: 'Chat options' });
  await expect(rowMenu.getByRole('menuitem', { name: 'Pin', exact: true })).toBeVisible();
  await expect(rowMenu.getByRole('menuitem', { name: /mute/i })).toHaveCount(0);
  await alice.page.keyboard.press('Escape');
  await expect(rowMenu).toBeHidden();
  await openSaved(alice.page);
  await alice.page.getByRole('button', { name: 'Chat actions' }).click();
  await expect(alice.page.getByRole('menuitem', { name: 'Archive', exact: true })).toBeVisible();
  await expect(alice.page.getByRole('menuitem', { name: /mute/i })).toHaveCount(0);

  for (const u of [alice, bob, laptop]) await u.context.close();
});

test('Saved Messages offline: a device that never opened them opens them, and a note written there goes when the network returns', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  await openSaved(alice.page);
  const laptop = await logIn(browser, relay, alice.username);
  await controlledBySW(laptop.page);

  await laptop.context.setOffline(true);
  await expect(laptop.page.locator('[data-connection]')).toHaveText('Waiting for network…');
  await openSaved(laptop.page);
  await sendText(laptop.page, 'Passport is in the top drawer');
  await expect(row(laptop.page, 'Passport is in the top drawer').locator('[data-ticks="pending"]')).toHaveCount(1);
  await expect(laptop.page.locator('[data-connection]')).toHaveText('Waiting for network… 1 message queued');
  await expect(notes(alice.page)).toHaveCount(0);

  await laptop.context.setOffline(false);
  await expect(row(laptop.page, 'Passport is in the top drawer').locator('[data-ticks="sent"]')).toHaveCount(1);
  await expect(notes(alice.page).locator('p.text')).toHaveText(['Passport is in the top drawer']);
  await expect(notes(laptop.page)).toHaveCount(1);

  for (const u of [alice, laptop]) await u.context.close();
});
