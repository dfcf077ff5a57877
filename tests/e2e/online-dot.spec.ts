/**
 * The chat list's online dot (docs/api.md "Last seen"): Bob's list shows a green dot on Alice's avatar
 * (the row's accessible name says "online" after hers), on their cloud and secret chats' rows, while her page is open, live
 * both ways, never on Saved Messages; it goes
 * when she closes her page, comes back when she signs in again, and goes for good once Bob blocks her.
 * Screenshots of the list at 360×740 and wide.
 */
import type { Page } from '@playwright/test';
import { audit } from './axe';
import { expect, logIn, openChatWith, sendTextAndWait, signUp, test } from './fixtures';
import { startSecretChat } from './secret-helpers';

test.describe.configure({ timeout: 180_000 });

const chatRow = (page: Page, username: string) => page.getByRole('list', { name: 'Chats' }).locator(`a[data-chat="${username}"]`);
const dotOf = (page: Page, username: string) => chatRow(page, username).locator('[data-online]');
const secretDotOf = (page: Page, username: string) => page.getByRole('list', { name: 'Chats' }).locator(`a[data-secret-chat="${username}"] [data-online]`);

test('the dot follows the peer coming online and leaving, live; none on Saved Messages or once blocked', async ({ browser, relay }) => {
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  await openChatWith(alice.page, bob.username);
  await sendTextAndWait(alice.page, 'hi Bob');
  // Bob's Saved Messages in his list too: never a dot there.
  await bob.page.getByRole('link', { name: 'Saved Messages', exact: true }).click();
  await sendTextAndWait(bob.page, 'a note');
  // A secret chat with her too: its row has the dot as well.
  await startSecretChat(bob.page, alice.username);
  await alice.context.close();

  await bob.page.goto('/');
  await expect(chatRow(bob.page, alice.username)).toBeVisible();
  await expect(dotOf(bob.page, alice.username)).toHaveCount(0);
  await expect(secretDotOf(bob.page, alice.username)).toHaveCount(0);

  // Alice signs in again: the dot appears on Bob's open list without a reload.
  const again = await logIn(browser, relay, alice.username);
  await expect(dotOf(bob.page, alice.username)).toBeVisible();
  await expect(secretDotOf(bob.page, alice.username)).toBeVisible();
  await expect(chatRow(bob.page, alice.username)).toHaveAccessibleName(/^Alice online /);
  await expect(dotOf(bob.page, alice.username)).toHaveAttribute('aria-hidden', 'true');
  await expect(chatRow(bob.page, bob.username).locator('[data-online]')).toHaveCount(0);
  await audit(bob.page, 'chat list with an online dot');
  await bob.page.setViewportSize({ width: 360, height: 740 });
  await bob.page.screenshot({ path: test.info().outputPath('online-dot-phone.png') });
  await bob.page.setViewportSize({ width: 1280, height: 800 });
  await bob.page.screenshot({ path: test.info().outputPath('online-dot-wide.png') });
  await bob.page.emulateMedia({ colorScheme: 'dark' });
  await bob.page.screenshot({ path: test.info().outputPath('online-dot-dark.png') });
  await bob.page.emulateMedia({ colorScheme: 'light' });
  await bob.page.setViewportSize({ width: 390, height: 800 });

  // A reload asks the relay for the list's people at once: still there.
  await bob.page.reload();
  await expect(dotOf(bob.page, alice.username)).toBeVisible();

  // Her page closes: the dot goes, live.
  await again.context.close();
  await expect(dotOf(bob.page, alice.username)).toHaveCount(0);
  await expect(secretDotOf(bob.page, alice.username)).toHaveCount(0);

  // Back once more, then Bob blocks her: no dot for someone I blocked.
  const third = await logIn(browser, relay, alice.username);
  await expect(dotOf(bob.page, alice.username)).toBeVisible();
  await bob.page.goto(`/u/${alice.username}`);
  await bob.page.getByRole('button', { name: 'More actions' }).click();
  await bob.page.getByRole('menuitem', { name: 'Block user' }).click();
  await bob.page.getByRole('alertdialog', { name: 'Block Alice?' }).getByRole('button', { name: 'Block user' }).click();
  await bob.page.goto('/');
  await expect(chatRow(bob.page, alice.username)).toBeVisible();
  await expect(dotOf(bob.page, alice.username)).toHaveCount(0);
  await third.context.close();
});
