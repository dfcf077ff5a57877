// Cloud actions offline (worker/cloud-actions*.ts): Alice, in a tunnel, edits her message, reacts to
// Bob's, deletes one for everyone and mutes the chat. Her screen shows all of it at once and after a
// reload while still offline; the banner counts the changes waiting. When the network returns they go
// out: Bob's screen shows the edit, the reaction and the deletion, and Alice's chat stays muted (the relay's).
// A pin of a message taken offline likewise: Alice's pinned bar shows it at once and after an offline
// reload, and Bob's bar once she is back online.
import type { Page } from '@playwright/test';
import { expect, messageLog, openChatWith, sendText, signUp, test, controlledBySW } from './fixtures';
import { menu, openMenu, row } from './message-helpers';

test.describe.configure({ timeout: 180_000 });

const banner = (page: Page) => page.locator('[data-connection]');
const composer = (page: Page) => page.getByLabel('Message', { exact: true });
const chip = (page: Page, text: string, label: string) => row(page, text).getByRole('button', { name: label, exact: true });
const pinnedBar = (page: Page) => page.getByRole('region', { name: 'Pinned messages' });
const cloudRow = (page: Page, username: string) => page.getByRole('list', { name: 'Chats' }).locator(`a[data-chat="${username}"]`);

test("offline, Alice's edit, reaction, delete for everyone and mute show at once and after a reload, and reach Bob when the network returns", async ({
  browser,
  relay
}) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'Pizza tonight?');
  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'See you at 8');
  await sendText(alice.page, 'wrong chat, sorry');
  for (const t of ['Pizza tonight?', 'See you at 8', 'wrong chat, sorry']) await expect(row(bob.page, t)).toBeVisible();
  await expect(messageLog(alice.page).locator('[data-ticks="pending"]')).toHaveCount(0);
  await controlledBySW(alice.page);

  await alice.context.setOffline(true);
  await expect(banner(alice.page)).toHaveText('Waiting for network…', { timeout: 2_000 });

  // Edit.
  await openMenu(alice.page, 'See you at 8');
  await menu(alice.page).getByRole('menuitem', { name: 'Edit' }).click();
  await composer(alice.page).fill('See you at 9');
  await alice.page.getByRole('button', { name: 'Save edit' }).click();
  await expect(alice.page.getByRole('group', { name: 'Editing' })).toBeHidden();
  // React.
  await openMenu(alice.page, 'Pizza tonight?');
  await menu(alice.page).getByRole('menuitemradio', { name: 'React 👍' }).click();
  // Delete for everyone.
  await openMenu(alice.page, 'wrong chat, sorry');
  await menu(alice.page).getByRole('menuitem', { name: 'Delete…' }).click();
  await alice.page.getByRole('alertdialog').getByRole('button', { name: 'Delete for everyone' }).click();
  // Mute, from the chat's header menu.
  await alice.page.getByRole('button', { name: 'Chat actions' }).click();
  await alice.page.getByRole('menuitem', { name: 'Mute…' }).click();
  await alice.page.getByRole('menuitem', { name: 'Mute until I turn it back on' }).click();

  const shownOffline = async () => {
    await expect(row(alice.page, 'See you at 9')).toContainText('edited');
    await expect(row(alice.page, 'See you at 8')).toHaveCount(0);
    await expect(chip(alice.page, 'Pizza tonight?', '👍 by you')).toBeVisible();
    await expect(row(alice.page, 'wrong chat, sorry')).toHaveCount(0);
    await expect(banner(alice.page)).toHaveText('Waiting for network… 4 changes queued');
  };
  await shownOffline();
  // Nothing reached Bob.
  await expect(row(bob.page, 'See you at 8')).toBeVisible();
  await expect(row(bob.page, 'wrong chat, sorry')).toBeVisible();

  // A reload while still offline (the service worker serves the app; the worker reads the queue back).
  await alice.page.reload();
  await shownOffline();
  await alice.page.goto('/');
  await expect(cloudRow(alice.page, bob.username)).toHaveAttribute('data-muted', '');

  await alice.context.setOffline(false);
  await expect(row(bob.page, 'See you at 9')).toContainText('edited', { timeout: 15_000 });
  await expect(row(bob.page, 'See you at 8')).toHaveCount(0);
  await expect(chip(bob.page, 'Pizza tonight?', '👍 by Alice')).toBeVisible();
  await expect(row(bob.page, 'wrong chat, sorry')).toHaveCount(0);
  // Alice: nothing waits any more, and the chat is muted as the relay has it (a reload reads the relay's state back).
  await expect(banner(alice.page)).toHaveAttribute('data-connection', 'online');
  await expect(banner(alice.page)).toHaveAttribute('data-queued', '0');
  await expect(banner(alice.page)).toBeHidden();
  await alice.page.reload();
  await expect(cloudRow(alice.page, bob.username)).toHaveAttribute('data-muted', '');
  await alice.context.close();
  await bob.context.close();
});

test("offline, Alice's pin of a message shows in her pinned bar at once and after a reload, and in Bob's when the network returns", async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'Meet at the north gate');
  await openChatWith(alice.page, bob.username);
  await expect(row(alice.page, 'Meet at the north gate')).toBeVisible();
  await controlledBySW(alice.page);

  await alice.context.setOffline(true);
  await expect(banner(alice.page)).toHaveText('Waiting for network…', { timeout: 2_000 });
  await openMenu(alice.page, 'Meet at the north gate');
  await menu(alice.page).getByRole('menuitem', { name: 'Pin', exact: true }).click();

  const shownOffline = async () => {
    await expect(pinnedBar(alice.page)).toContainText('Meet at the north gate');
    await expect(banner(alice.page)).toHaveText('Waiting for network… 1 change queued');
  };
  await shownOffline();
  await expect(pinnedBar(bob.page)).toHaveCount(0);
  await alice.page.reload();
  await shownOffline();

  await alice.context.setOffline(false);
  await expect(pinnedBar(bob.page)).toContainText('Meet at the north gate', { timeout: 15_000 });
  await expect(banner(alice.page)).toHaveAttribute('data-queued', '0');
  await expect(pinnedBar(alice.page)).toContainText('Meet at the north gate');
  await alice.context.close();
  await bob.context.close();
});
