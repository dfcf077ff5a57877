/**
 * Archived chats, as Telegram's: a chat's menu archives it; it leaves the main list for "Archived chats"
 * (a row at the top with the count and the unread badge, opening a list of its own with a back control,
 * by keyboard too). A cloud chat's archive reaches my other device and survives a reload, also when made
 * offline; the peer's new message brings an archived chat back unless it is muted; Unarchive brings it
 * back. A secret chat's archive is kept on its device and works the same way.
 */
import type { Locator, Page } from '@playwright/test';
import { auditBothThemes } from './axe';
import { apiPeer, banner, chatMenu, expect, logIn, mainList, myId, signUp, test, controlledBySW } from './fixtures';
import { secretPair, sendSecret } from './secret-helpers';

const archiveList = (page: Page) => page.getByRole('list', { name: 'Archived chats', exact: true });
const cloudRow = (list: Locator, username: string) => list.locator(`a[data-chat="${username}"]`);
const archivedRow = (page: Page) => page.getByRole('button', { name: 'Archived chats', exact: true });
const back = (page: Page) => page.getByRole('button', { name: 'Back to chats', exact: true });

/** Opens a row's menu by a right click and picks `items` in turn. */
async function pick(page: Page, row: Locator, ...items: string[]) {
  await row.click({ button: 'right' });
  for (const item of items) await chatMenu(page).getByRole('menuitem', { name: item, exact: true }).click();
  await expect(chatMenu(page)).toBeHidden();
}

test('an archived chat leaves the list for "Archived chats" on every device; a message brings it back unless muted; Unarchive too', async ({ browser, relay }) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const aliceId = await myId(alice.page);
  const carol = await apiPeer(relay.url, 'Carol');
  const dave = await apiPeer(relay.url, 'Dave');
  await carol.say(aliceId, 'hello from Carol');
  await dave.say(aliceId, 'hello from Dave');
  const page = alice.page;
  await page.goto('/');
  await expect(cloudRow(mainList(page), carol.username)).toBeVisible();
  await expect(cloudRow(mainList(page), dave.username)).toBeVisible();
  await expect(archivedRow(page)).toHaveCount(0);

  // Carol's chat by a right click: it leaves the list; the row at the top counts it and its unread message.
  await pick(page, cloudRow(mainList(page), carol.username), 'Archive');
  await expect(cloudRow(mainList(page), carol.username)).toHaveCount(0);
  await expect(archivedRow(page)).toHaveAccessibleDescription('1 chat, 1 unread');

  // By keyboard: the row opens the archive, the focus on its back control; Dave's chat is archived from there too.
  await archivedRow(page).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Archived chats' })).toBeVisible();
  await expect(back(page)).toBeFocused();
  await expect(cloudRow(archiveList(page), carol.username)).toHaveAttribute('data-archived', '');
  await auditBothThemes(page, 'archived chats');
  await page.keyboard.press('Enter');
  await expect(archivedRow(page)).toBeFocused();
  await auditBothThemes(page, 'chat list with archived chats');
  await pick(page, cloudRow(mainList(page), dave.username), 'Archive');
  await expect(archivedRow(page)).toHaveAccessibleDescription('2 chats, 2 unread');
  await expect(mainList(page)).toHaveCount(0);

  // Dave's is muted from the archive, where its menu offers Unarchive.
  await archivedRow(page).click();
  await cloudRow(archiveList(page), dave.username).click({ button: 'right' });
  await expect(chatMenu(page).getByRole('menuitem', { name: 'Unarchive' })).toBeVisible();
  await chatMenu(page).getByRole('menuitem', { name: 'Mute…' }).click();
  await chatMenu(page).getByRole('menuitem', { name: 'Mute until I turn it back on' }).click();
  await expect(cloudRow(archiveList(page), dave.username)).toHaveAttribute('data-muted', '');

  // My second device: both archived (from the relay), and after a reload here too.
  const second = await logIn(browser, relay, alice.username);
  await expect(archivedRow(second.page)).toHaveAccessibleDescription(/^2 chats/, { timeout: 30_000 });
  await expect(cloudRow(mainList(second.page), carol.username)).toHaveCount(0);
  await page.reload();
  await expect(archivedRow(page)).toHaveAccessibleDescription('2 chats, 2 unread');
  await archivedRow(page).click();
  await expect(cloudRow(archiveList(page), carol.username)).toBeVisible();

  // Carol writes (not muted): her chat comes back to the list on both devices. Dave's (muted) stays archived.
  await carol.say(aliceId, 'are you there?');
  await dave.say(aliceId, 'psst');
  await expect(cloudRow(archiveList(page), carol.username)).toHaveCount(0);
  await expect(cloudRow(archiveList(page), dave.username)).toHaveAttribute('data-muted', '');
  await expect(cloudRow(mainList(second.page), carol.username)).toBeVisible();
  await expect(archivedRow(second.page)).toHaveAccessibleDescription('1 chat, 2 unread, muted');
  await back(page).click();
  await expect(cloudRow(mainList(page), carol.username)).toBeVisible();
  await expect(cloudRow(mainList(page), carol.username)).not.toHaveAttribute('data-archived');

  // Unarchive from the archive: Dave's is back in the list; the archive is empty, and its row gone.
  await archivedRow(page).click();
  await pick(page, cloudRow(archiveList(page), dave.username), 'Unarchive');
  await expect(page.getByText('No archived chats.')).toBeVisible();
  await back(page).click();
  await expect(cloudRow(mainList(page), dave.username)).toBeVisible();
  await expect(archivedRow(page)).toHaveCount(0);
  await expect(cloudRow(mainList(second.page), dave.username)).toBeVisible();
  await expect(archivedRow(second.page)).toHaveCount(0);
  await second.context.close();
  await alice.context.close();
  await carol.ctx.dispose();
  await dave.ctx.dispose();
});

test('archived offline: the chat leaves the list at once and after an offline reload, and reaches my other device when the network returns', async ({
  browser,
  relay
}) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const carol = await apiPeer(relay.url, 'Carol');
  await carol.say(await myId(alice.page), 'hello from Carol');
  const page = alice.page;
  await page.goto('/');
  await expect(cloudRow(mainList(page), carol.username)).toBeVisible();
  await controlledBySW(page);

  await alice.context.setOffline(true);
  await expect(banner(page)).toHaveText('Waiting for network…', { timeout: 2_000 });
  await pick(page, cloudRow(mainList(page), carol.username), 'Archive');
  await expect(archivedRow(page)).toHaveAccessibleDescription('1 chat, 1 unread');
  await expect(banner(page)).toHaveText('Waiting for network… 1 change queued');
  await page.reload();
  await expect(archivedRow(page)).toHaveAccessibleDescription('1 chat, 1 unread');
  await expect(mainList(page)).toHaveCount(0);

  await alice.context.setOffline(false);
  const second = await logIn(browser, relay, alice.username);
  await expect(archivedRow(second.page)).toHaveAccessibleDescription('1 chat, 1 unread', { timeout: 30_000 });
  await second.context.close();
  await alice.context.close();
  await carol.ctx.dispose();
});

test("a secret chat archived from its header menu stays archived on its device until the peer's next message", async ({ browser, relay }) => {
  const { alice, bob, chatId } = await secretPair(browser, relay);
  const page = alice.page;
  await page.getByRole('button', { name: 'Chat actions' }).click();
  await page.getByRole('menuitem', { name: 'Archive' }).click();
  await page.getByRole('link', { name: /^Back to chats/ }).click();
  await expect(archivedRow(page)).toHaveAccessibleDescription('1 chat');
  await expect(page.locator(`a[href="/secret/${chatId}"]`)).toHaveCount(0);
  await archivedRow(page).click();
  await expect(archiveList(page).locator(`a[href="/secret/${chatId}"]`)).toHaveAttribute('data-archived', '');
  // Opened from the archive and left: back to the archive.
  await archiveList(page).locator(`a[href="/secret/${chatId}"]`).click();
  await page.getByRole('button', { name: 'Chat actions' }).click();
  await expect(page.getByRole('menuitem', { name: 'Unarchive' })).toBeVisible();
  await page.keyboard.press('Escape');
  await page.getByRole('link', { name: /^Back to chats/ }).click();
  await expect(archiveList(page).locator(`a[href="/secret/${chatId}"]`)).toBeVisible();

  // Bob writes: the chat is back in Alice's list.
  await sendSecret(bob.page, 'knock knock');
  await expect(archiveList(page).locator(`a[href="/secret/${chatId}"]`)).toHaveCount(0);
  await back(page).click();
  await expect(mainList(page).locator(`a[href="/secret/${chatId}"]`)).toBeVisible();
  await expect(archivedRow(page)).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});
