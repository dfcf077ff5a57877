// Message actions (issue #16 items 3 and 7): the message menu from its button (keyboard), a right
// click and a long press; Reply with a quote the peer sees and can tap to reach the original; Copy
// text; Delete only after a confirmation (for me, or for both / everyone); "typing…" gone the moment
// the typed message shows; axe on the menu and the dialog in both themes.
import type { Browser, Page } from '@playwright/test';
import { audit } from './axe';
import { expect, messageLog, openChatWith, PASSWORD, sendText, signUp, test, type User } from './fixtures';
import { secretPair, sendSecret } from './secret-helpers';

/** The message whose own text (not a quote of it) contains `text`. */
// Two long flows each, with axe four times: generous budgets for a busy machine.
test.describe.configure({ timeout: 240_000 });

const row = (page: Page, text: string) =>
  messageLog(page)
    .locator('li')
    .filter({ has: page.locator('p.text', { hasText: text }) });
const menu = (page: Page) => page.getByRole('menu', { name: 'Message actions' });
const dialog = (page: Page) => page.getByRole('alertdialog');

/** The peer's view when the message `text` first shows: whether "typing…" was still there in the same frame. */
async function typingWhenShown(page: Page, text: string): Promise<boolean> {
  let seen = { shown: false, typing: true };
  await expect
    .poll(
      async () =>
        (seen = await page.evaluate((t) => {
          const log = document.querySelector('[aria-label="Messages"]');
          return { shown: !!log?.textContent?.includes(t), typing: !!document.querySelector('.peer-status')?.textContent?.includes('typing…') };
        }, text)).shown
    )
    .toBe(true);
  return seen.typing;
}

async function axeBothThemes(page: Page, screen: string) {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(page, `${screen} (${scheme})`);
  }
  await page.emulateMedia({ colorScheme: null });
}

/** A second device of `username` on a touch screen. */
async function touchDevice(browser: Browser, url: string, username: string): Promise<User> {
  const context = await browser.newContext({ baseURL: url, hasTouch: true, viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Chats' })).toBeVisible();
  return { context, page, username };
}

test('secret chat: keyboard menu, reply quoted inside the encryption, tap to the original, typing gone with the message, delete for me / for both', async ({
  browser,
  relay
}) => {
  const { alice, bob } = await secretPair(browser, relay);

  await sendSecret(bob.page, 'Dinner at eight?\nor nine');
  await expect(row(alice.page, 'Dinner at eight?')).toBeVisible();
  // A tall message pushes the original out of view on Bob's screen.
  await sendSecret(alice.page, Array.from({ length: 45 }, (_, i) => `line ${i}`).join('\n'));
  await expect(row(bob.page, 'line 44')).toBeVisible();

  // A web address is a link: it opens in a new tab without a referrer, and tapping it selects nothing.
  const address = `${relay.url}/healthz?from=secret`;
  await sendSecret(bob.page, `The map: ${address}.`);
  const link = row(alice.page, 'The map:').getByRole('link', { name: address });
  await expect(link).toHaveAttribute('href', address);
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow');
  await expect(link).toHaveAttribute('target', '_blank');
  const [tab] = await Promise.all([alice.context.waitForEvent('page'), link.click()]);
  await expect.poll(() => tab.url()).toBe(address);
  await tab.close();
  await expect(row(alice.page, 'The map:').getByRole('button', { name: 'Select message' })).toHaveAttribute('aria-pressed', 'false');

  // Keyboard: Tab reaches the message's menu button; Enter opens the menu on its first item; arrows move.
  await row(alice.page, 'Dinner at eight?').getByRole('button', { name: 'Select message' }).focus();
  await alice.page.keyboard.press('Tab');
  const actions = row(alice.page, 'Dinner at eight?').getByRole('button', { name: 'Message actions' });
  await expect(actions).toBeFocused();
  await alice.page.keyboard.press('Enter');
  await expect(menu(alice.page).getByRole('menuitem', { name: 'Reply' })).toBeFocused();
  await alice.page.keyboard.press('ArrowDown');
  await expect(menu(alice.page).getByRole('menuitem', { name: 'Copy text' })).toBeFocused();
  await alice.page.keyboard.press('End');
  await expect(menu(alice.page).getByRole('menuitem', { name: 'Delete…' })).toBeFocused();
  // Past the end: the quick reactions above Reply, one stop; Left and Right move along them.
  await alice.page.keyboard.press('ArrowDown');
  await expect(menu(alice.page).getByRole('menuitemradio', { name: 'React 👍' })).toBeFocused();
  await alice.page.keyboard.press('ArrowRight');
  await expect(menu(alice.page).getByRole('menuitemradio', { name: 'React ❤️' })).toBeFocused();
  await alice.page.keyboard.press('ArrowLeft');
  await alice.page.keyboard.press('ArrowLeft');
  await expect(menu(alice.page).getByRole('menuitemradio', { name: 'React 🙏' })).toBeFocused();
  await alice.page.keyboard.press('ArrowDown');
  await expect(menu(alice.page).getByRole('menuitem', { name: 'Reply' })).toBeFocused();
  await axeBothThemes(alice.page, 'secret message menu');
  await alice.page.keyboard.press('Escape');
  await expect(menu(alice.page)).toHaveCount(0);
  await expect(actions).toBeFocused();
  await alice.page.keyboard.press('Enter');
  await menu(alice.page).getByRole('menuitem', { name: 'Reply' }).press('Enter');

  // The composer shows the quote (× cancels it; Reply again brings it back).
  const bar = alice.page.getByRole('group', { name: 'Replying' });
  await expect(bar).toContainText('Reply to Bob');
  await expect(bar).toContainText('Dinner at eight?');
  await expect(bar).not.toContainText('or nine');
  await bar.getByRole('button', { name: 'Cancel reply' }).click();
  await expect(bar).toHaveCount(0);
  await row(alice.page, 'Dinner at eight?').click({ button: 'right' });
  await menu(alice.page).getByRole('menuitem', { name: 'Reply' }).click();
  await expect(bar).toContainText('Dinner at eight?');

  // Bob sees "typing…", and it is gone in the same frame that shows the reply.
  await alice.page.getByLabel('Message', { exact: true }).fill('Eight works');
  await expect(bob.page.locator('.peer-status')).toHaveText('typing…');
  await alice.page.getByRole('button', { name: 'Send' }).click();
  await expect(bar).toHaveCount(0);
  expect(await typingWhenShown(bob.page, 'Eight works')).toBe(false);

  // Bob's bubble quotes his own message; tapping the quote scrolls to it and highlights it.
  const quote = row(bob.page, 'Eight works').getByRole('button', { name: /^Reply to You: Dinner at eight\?/ });
  await expect(quote).toBeVisible();
  await expect(row(alice.page, 'Eight works').getByRole('button', { name: /^Reply to Bob: Dinner at eight\?/ })).toBeVisible();
  const original = row(bob.page, 'Dinner at eight?');
  // At the end of the chat, the tall message hides the original above the top edge.
  await bob.page.getByRole('list', { name: 'Messages' }).evaluate((log) => log.parentElement!.scrollTo({ top: log.parentElement!.scrollHeight }));
  await expect(original).not.toBeInViewport();
  await quote.click();
  await expect(original).toBeInViewport();
  await expect(original).toHaveAttribute('data-highlight', '');

  // Delete for me: gone here only.
  await row(alice.page, 'line 44').click({ button: 'right' });
  await menu(alice.page).getByRole('menuitem', { name: 'Delete…' }).click();
  await expect(dialog(alice.page)).toBeVisible();
  await expect(dialog(alice.page).getByRole('button', { name: 'Cancel' })).toBeFocused();
  await axeBothThemes(alice.page, 'secret delete dialog');
  await dialog(alice.page).getByRole('button', { name: 'Delete for me' }).click();
  await expect(row(alice.page, 'line 44')).toHaveCount(0);
  await expect(row(bob.page, 'line 44')).toBeVisible();

  // Delete for both: gone on Bob's side too. A quote whose original is gone says so.
  await row(alice.page, 'Dinner at eight?').click({ button: 'right' });
  await menu(alice.page).getByRole('menuitem', { name: 'Delete…' }).click();
  await dialog(alice.page).getByRole('button', { name: 'Delete for both' }).click();
  await expect(row(alice.page, 'Dinner at eight?')).toHaveCount(0);
  await expect(row(bob.page, 'Dinner at eight?')).toHaveCount(0);
  // The quote no longer shows what was deleted.
  await expect(row(bob.page, 'Eight works').getByRole('button', { name: /^Reply to You: Deleted message/ })).toBeVisible();
  await row(bob.page, 'Eight works')
    .getByRole('button', { name: /^Reply to You/ })
    .click();
  await expect(bob.page.getByRole('status').filter({ hasText: 'The original message is no longer available' })).toBeVisible();

  for (const u of [alice, bob]) await u.context.close();
});

test('cloud chat: right click, reply, copy, delete asks (cancel, for me, for everyone), the selection asks too, long press on a touch screen', async ({
  browser,
  relay
}) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await alice.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.url });
  await openChatWith(alice.page, bob.username);
  await openChatWith(bob.page, alice.username);

  await sendText(bob.page, 'Are you coming tomorrow?');
  for (const t of ['keep me', 'only mine gone', 'gone for everyone']) await sendText(alice.page, t);
  await expect(row(bob.page, 'gone for everyone')).toBeVisible();
  await expect(row(alice.page, 'Are you coming tomorrow?')).toBeVisible();

  // Right click: the menu at the pointer; Reply; the peer sees the quote and taps through to it.
  await row(alice.page, 'Are you coming tomorrow?').click({ button: 'right' });
  await expect(menu(alice.page)).toBeVisible();
  await axeBothThemes(alice.page, 'cloud message menu');
  await menu(alice.page).getByRole('menuitem', { name: 'Reply' }).click();
  await expect(alice.page.getByRole('group', { name: 'Replying' })).toContainText('Are you coming tomorrow?');
  await alice.page.getByLabel('Message', { exact: true }).fill('Yes, at noon');
  await expect(bob.page.locator('.peer-status')).toHaveText('typing…');
  await alice.page.getByRole('button', { name: 'Send' }).click();
  expect(await typingWhenShown(bob.page, 'Yes, at noon')).toBe(false);
  const quote = row(bob.page, 'Yes, at noon').getByRole('button', { name: /^Reply to You: Are you coming tomorrow\?/ });
  await expect(quote).toBeVisible();
  await quote.click();
  await expect(row(bob.page, 'Are you coming tomorrow?')).toHaveAttribute('data-highlight', '');
  // After a reload (read back from the device's store) the quote is still there.
  await alice.page.reload();
  await expect(row(alice.page, 'Yes, at noon').getByRole('button', { name: /^Reply to Bob: Are you coming tomorrow\?/ })).toBeVisible();

  // Copy text.
  await row(alice.page, 'Are you coming tomorrow?').click({ button: 'right' });
  await menu(alice.page).getByRole('menuitem', { name: 'Copy text' }).click();
  await expect(alice.page.getByRole('status').filter({ hasText: 'Copied to clipboard' })).toBeVisible();
  expect(await alice.page.evaluate(() => navigator.clipboard.readText())).toBe('Are you coming tomorrow?');

  // Delete asks: Cancel and Escape delete nothing.
  const askDelete = async (text: string) => {
    await row(alice.page, text).click({ button: 'right' });
    await menu(alice.page).getByRole('menuitem', { name: 'Delete…' }).click();
    await expect(dialog(alice.page)).toBeVisible();
  };
  await askDelete('keep me');
  await expect(dialog(alice.page).getByRole('button')).toHaveText(['Delete for me', 'Delete for everyone', 'Cancel']);
  await axeBothThemes(alice.page, 'cloud delete dialog');
  await dialog(alice.page).getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog(alice.page)).toHaveCount(0);
  await askDelete('keep me');
  await alice.page.keyboard.press('Escape');
  await expect(dialog(alice.page)).toHaveCount(0);
  await expect(row(alice.page, 'keep me')).toBeVisible();
  await expect(row(bob.page, 'keep me')).toBeVisible();

  // Delete for me: gone here (also after a reload), still on Bob's side.
  await askDelete('only mine gone');
  await dialog(alice.page).getByRole('button', { name: 'Delete for me' }).click();
  await expect(row(alice.page, 'only mine gone')).toHaveCount(0);
  await alice.page.reload();
  await expect(row(alice.page, 'keep me')).toBeVisible();
  await expect(row(alice.page, 'only mine gone')).toHaveCount(0);
  await expect(row(bob.page, 'only mine gone')).toBeVisible();

  // Delete for everyone: gone on both sides.
  await askDelete('gone for everyone');
  await dialog(alice.page).getByRole('button', { name: 'Delete for everyone' }).click();
  await expect(row(alice.page, 'gone for everyone')).toHaveCount(0);
  await expect(row(bob.page, 'gone for everyone')).toHaveCount(0);

  // The selection's Delete asks too.
  await row(alice.page, 'keep me').getByRole('button', { name: 'Select message' }).click();
  await alice.page.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(dialog(alice.page)).toBeVisible();
  await dialog(alice.page).getByRole('button', { name: 'Cancel' }).click();
  await expect(row(alice.page, 'keep me')).toBeVisible();

  // A long press on a touch screen (Bob's phone) opens the menu; lifting the finger selects nothing.
  const phone = await touchDevice(browser, relay.url, bob.username);
  await openChatWith(phone.page, alice.username);
  const target = row(phone.page, 'keep me');
  await expect(target).toBeVisible();
  const box = (await target.locator('.bubble').boundingBox())!;
  const cdp = await phone.context.newCDPSession(phone.page);
  const point = { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point] });
  await expect(menu(phone.page)).toBeVisible();
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await expect(menu(phone.page).getByRole('menuitem', { name: 'Copy text' })).toBeVisible();
  await expect(target.getByRole('button', { name: 'Select message' })).toHaveAttribute('aria-pressed', 'false');
  await menu(phone.page).getByRole('menuitem', { name: 'Reply' }).click();
  await expect(phone.page.getByRole('group', { name: 'Replying' })).toContainText('keep me');

  for (const u of [alice, bob, phone]) await u.context.close();
});
