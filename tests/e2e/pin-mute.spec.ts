/**
 * Pin chats to the top of the list and mute a chat, from the list's row menu (right click, long press,
 * its "…" button). Pinned chats come first (the latest pinned on top) with a pin, after a reload too; a
 * cloud chat's pin reaches my second device, a secret chat's stays on this one. A muted chat's badge is
 * grey and out of the title's count, until unmuted. A sixth pin is refused with a message.
 */
import type { Page } from '@playwright/test';
import { audit } from './axe';
import { apiPeer, chatMenu, expect, logIn, signUp, test } from './fixtures';
import { secretPair } from './secret-helpers';

const list = (page: Page) => page.getByRole('list', { name: 'Chats' });
const cloudRow = (page: Page, username: string) => list(page).locator(`a[data-chat="${username}"]`);
const rowNames = (page: Page) => list(page).locator('a.row .name').allTextContents();
const titleCount = async (page: Page) => Number((await page.title()).match(/^\((\d+)\)/)?.[1] ?? 0);

/** Opens a row's menu by a right click and picks `item`. */
async function pick(page: Page, row: ReturnType<typeof cloudRow>, ...items: string[]) {
  await row.click({ button: 'right' });
  for (const item of items) await chatMenu(page).getByRole('menuitem', { name: item, exact: true }).click();
  await expect(chatMenu(page)).toBeHidden();
}

test('pinned chats come first, on every device for cloud chats; a muted chat is grey and not counted', async ({ browser, relay }, info) => {
  test.setTimeout(180_000);
  const { alice, bob, chatId } = await secretPair(browser, relay);
  const aliceId = ((await (await alice.context.request.get('/api/me')).json()) as { user: { id: string } }).user.id;
  const peers = [];
  for (const name of ['Carol', 'Dave', 'Erin', 'Frank', 'Grace']) {
    const p = await apiPeer(relay.url, name);
    await p.say(aliceId, `hello from ${name}`);
    peers.push(p);
  }
  const page = alice.page;
  await page.goto('/');
  for (const p of peers) await expect(cloudRow(page, p.username)).toBeVisible();
  const secretRow = list(page).locator(`a[href="/secret/${chatId}"]`);
  await expect(secretRow).toBeVisible();
  void bob;

  // Dave's chat by a right click, then the secret chat by its "…" button (keyboard reachable: focus, Enter).
  await pick(page, cloudRow(page, peers[1].username), 'Pin');
  await page.getByRole('button', { name: 'Options for Bob (secret chat)' }).focus();
  await page.keyboard.press('Enter');
  await expect(chatMenu(page).getByRole('menuitem', { name: 'Pin' })).toBeFocused();
  await audit(page, 'chat list row menu');
  await page.keyboard.press('Enter');
  await expect(chatMenu(page)).toBeHidden();
  const top = async () => (await rowNames(page)).slice(0, 2);
  await expect.poll(top).toEqual(['Bob', 'Dave']);
  await expect(secretRow).toHaveAttribute('data-pinned', '');
  await expect(secretRow.getByRole('img', { name: 'Pinned' })).toBeVisible();
  await expect(cloudRow(page, peers[1].username).getByRole('img', { name: 'Pinned' })).toBeVisible();
  await page.reload();
  await expect.poll(top).toEqual(['Bob', 'Dave']);

  // A second device of Alice's: the cloud pin, not the secret chat (it lives on the first device only).
  const second = await logIn(browser, relay, alice.username);
  await expect(cloudRow(second.page, peers[1].username)).toHaveAttribute('data-pinned', '', { timeout: 30_000 });
  await expect.poll(() => rowNames(second.page).then((n) => n[0])).toBe('Dave');
  await expect(list(second.page).locator('a[data-secret-chat]')).toHaveCount(0);
  await second.context.close();

  // Mute Carol for an hour: her badge turns grey and leaves the title's count, her next message too.
  const carol = cloudRow(page, peers[0].username);
  await expect.poll(() => titleCount(page)).toBe(5);
  await pick(page, carol, 'Mute…', 'Mute for 1 hour');
  await expect(carol).toHaveAttribute('data-muted', '');
  await expect(carol.getByRole('img', { name: 'Muted' })).toBeVisible();
  await expect.poll(() => titleCount(page)).toBe(4);
  await peers[0].say(aliceId, 'are you there?');
  await expect(carol.getByLabel('2 unread, muted')).toBeVisible();
  expect(await titleCount(page)).toBe(4);

  // Hovered, the row's "…" button shows at the end of the second line: it covers neither the time nor the badge.
  await carol.hover();
  const more = page.getByRole('button', { name: 'Options for Carol' });
  await expect(more).toHaveCSS('opacity', '1');
  const apart = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
    a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
  const [moreBox, timeBox, badgeBox] = await Promise.all([more.boundingBox(), carol.locator('time').boundingBox(), carol.getByLabel('2 unread, muted').boundingBox()]);
  expect([apart(moreBox!, timeBox!), apart(moreBox!, badgeBox!)]).toEqual([true, true]);

  // Screenshots of the list with pinned and muted chats, light and dark.
  await page.screenshot({ path: info.outputPath('pin-mute-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: info.outputPath('pin-mute-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });

  // Unmuted: counted again.
  await pick(page, carol, 'Unmute');
  await expect(carol).not.toHaveAttribute('data-muted');
  await expect(carol.getByLabel('2 unread', { exact: true })).toBeVisible();
  await expect.poll(() => titleCount(page)).toBe(6);

  // Three more pins (one by a long press), then a sixth is refused with the reason.
  await pick(page, carol, 'Pin');
  await pick(page, cloudRow(page, peers[2].username), 'Pin');
  // The list has moved Erin up before Frank's row is measured for the long press.
  await expect.poll(top).toEqual(['Erin', 'Carol']);
  const frank = cloudRow(page, peers[3].username);
  const box = (await frank.boundingBox())!;
  await page.mouse.move(box.x + 40, box.y + box.height / 2);
  await page.mouse.down();
  await expect(chatMenu(page)).toBeVisible();
  await page.mouse.up();
  // The press opened the menu, not the chat.
  await expect(page).toHaveURL(/\/$/);
  await chatMenu(page).getByRole('menuitem', { name: 'Pin' }).click();
  await expect(frank).toHaveAttribute('data-pinned', '');
  await expect.poll(top).toEqual(['Frank', 'Erin']);
  await pick(page, cloudRow(page, peers[4].username), 'Pin');
  await expect(page.getByRole('alert').filter({ hasText: 'Unpin a chat first: up to 5' })).toBeVisible();
  await expect(cloudRow(page, peers[4].username)).not.toHaveAttribute('data-pinned');
  for (const p of peers) await p.ctx.dispose();
});

test("a chat's header menu mutes and unmutes it", async ({ browser, relay }) => {
  const { alice, chatId } = await secretPair(browser, relay);
  const page = alice.page;
  await page.goto(`/secret/${chatId}`);
  await page.getByRole('button', { name: 'Chat actions' }).click();
  await page.getByRole('menuitem', { name: 'Mute…' }).click();
  await page.getByRole('menuitem', { name: 'Mute until I turn it back on' }).click();
  // In-app navigation, as a person leaves the chat (a reload right after the tap could end the worker mid-change).
  await page.getByRole('link', { name: /^Back to chats/ }).click();
  const row = list(page).locator(`a[href="/secret/${chatId}"]`);
  await expect(row).toHaveAttribute('data-muted', '');
  await page.goto(`/secret/${chatId}`);
  await page.getByRole('button', { name: 'Chat actions' }).click();
  await page.getByRole('menuitem', { name: 'Unmute' }).click();
  await page.getByRole('link', { name: /^Back to chats/ }).click();
  await expect(row).toBeVisible();
  await expect(row).not.toHaveAttribute('data-muted');
});

test("a row menu closes as its item is chosen, and its change ending later leaves another row's menu open", async ({ browser, relay }) => {
  const { alice, chatId } = await secretPair(browser, relay);
  const aliceId = ((await (await alice.context.request.get('/api/me')).json()) as { user: { id: string } }).user.id;
  const carol = await apiPeer(relay.url, 'Carol');
  await carol.say(aliceId, 'hello from Carol');
  const page = alice.page;
  await page.goto('/');
  const carolRow = cloudRow(page, carol.username);
  await expect(carolRow).toBeVisible();
  // The secret chat's pin waits for its chat lock (held here: a page shares the worker's lock manager).
  await page.evaluate(
    (name) =>
      new Promise<void>((held) => {
        void navigator.locks.request(name, () => new Promise<void>((release) => (((window as unknown as { releasePin: () => void }).releasePin = release), held())));
      }),
    `cinder-secret-${chatId}`
  );
  await list(page).locator(`a[href="/secret/${chatId}"]`).click({ button: 'right' });
  await chatMenu(page).getByRole('menuitem', { name: 'Pin', exact: true }).click();
  // The menu closed as the item was chosen, not when the worker answered (it still waits for the lock).
  await expect(chatMenu(page)).toBeHidden();
  await carolRow.click({ button: 'right' });
  await expect(chatMenu(page).getByRole('menuitem', { name: 'Mute…' })).toBeVisible();
  await page.evaluate(() => (window as unknown as { releasePin: () => void }).releasePin());
  await expect(list(page).locator(`a[href="/secret/${chatId}"]`)).toHaveAttribute('data-pinned', '');
  // Carol's menu is still open and works.
  await chatMenu(page).getByRole('menuitem', { name: 'Mute…' }).click();
  await chatMenu(page).getByRole('menuitem', { name: 'Mute for 1 hour' }).click();
  await expect(carolRow).toHaveAttribute('data-muted', '');
  await carol.ctx.dispose();
});

test('a row\'s "…" keeps the keyboard focus while the list re-sorts around it', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const aliceId = ((await (await alice.context.request.get('/api/me')).json()) as { user: { id: string } }).user.id;
  const carol = await apiPeer(relay.url, 'Carol');
  const bob = await apiPeer(relay.url, 'Bob');
  try {
    await carol.say(aliceId, 'hello from Carol');
    await bob.say(aliceId, 'hello from Bob');
    const page = alice.page;
    await page.goto('/');
    await expect.poll(() => rowNames(page)).toEqual(['Bob', 'Carol']);
    // A message moves the other row above the focused one's, and back: each time the focus stays where it was.
    for (const [focused, writer, order] of [
      ['Bob', carol, ['Carol', 'Bob']],
      ['Carol', bob, ['Bob', 'Carol']]
    ] as const) {
      const button = page.getByRole('button', { name: `Options for ${focused}` });
      await button.focus();
      await writer.say(aliceId, `again from ${order[0]}`);
      await expect.poll(() => rowNames(page)).toEqual(order);
      await expect(button).toBeFocused();
      await page.keyboard.press('Enter');
      await expect(chatMenu(page).getByRole('menuitem', { name: 'Pin' })).toBeFocused();
      await page.keyboard.press('Escape');
      await expect(button).toBeFocused();
    }
  } finally {
    await alice.context.close();
    await carol.ctx.dispose();
    await bob.ctx.dispose();
  }
});
