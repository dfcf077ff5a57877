/**
 * Search inside a chat: the header's "…" → Search opens a bar; the newest match shows first, Enter
 * and Shift+Enter step to older and newer ones (the window re-centres on a message far back and
 * highlights it), a miss says "No results", Escape closes and leaves the window where it is.
 * A secret chat and a cloud chat.
 */
import type { Page, TestInfo } from '@playwright/test';
import { sendCloud, signUpApi } from '../support/api';
import { rpc, rpcPage } from '../support/rpc';
import { removeDir, startServer } from '../support/server';
import { audit } from './axe';
import { expect, messageLog, PASSWORD, signUp, test, uniqueName } from './fixtures';
import { startSecretChat } from './secret-helpers';

const N = 60;
/** Message i's text: two of them (an early one and a later one) mention the café. */
const text = (i: number) => (i === 3 ? 'Meet me at the Café on Friday?' : i === 40 ? 'that CAFE again, see www.cafe.example' : `message ${i}`);

const row = (page: Page, i: number) => messageLog(page).locator('[data-message-id]', { has: page.getByText(text(i), { exact: true }) });

async function searchFlow(page: Page, info: TestInfo, shots: string) {
  // The newest messages are shown; the early one is not in the window.
  await expect(messageLog(page).getByText(text(N), { exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(row(page, 3)).toHaveCount(0);

  await page.getByRole('button', { name: 'Chat actions' }).click();
  await page.getByRole('menuitem', { name: 'Search' }).click();
  const field = page.getByRole('searchbox', { name: 'Search this chat' });
  await expect(field).toBeFocused();
  const position = page.locator('[data-search-position]');

  // The newest match first: message 40, highlighted and marked.
  await field.fill('cafe');
  await expect(position).toHaveText('1 of 2');
  await expect(row(page, 40)).toBeInViewport();
  await expect(row(page, 40)).toHaveAttribute('data-highlight', '');
  await expect(row(page, 40).locator('mark')).toHaveText(['CAFE', 'cafe']);
  // The marked link still goes where its text says.
  await expect(row(page, 40).getByRole('link')).toHaveAttribute('href', 'https://www.cafe.example/');
  await expect(field).toBeFocused();
  // The whole history is on this device: no note about older messages elsewhere.
  await expect(page.getByText('Only messages on this device are searched.')).toHaveCount(0);

  // Enter: the older one, far back; the window re-centres on it.
  await field.press('Enter');
  await expect(position).toHaveText('2 of 2');
  await expect(row(page, 3)).toBeInViewport();
  await expect(row(page, 3)).toHaveAttribute('data-highlight', '');
  await expect(row(page, 3).locator('mark')).toHaveText('Café');
  await expect(page.getByRole('button', { name: 'Older match' })).toBeDisabled();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(page, `search bar (${scheme})`);
    await page.screenshot({ path: info.outputPath(`${shots}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // Shift+Enter and the button: newer, then older again.
  await field.press('Shift+Enter');
  await expect(position).toHaveText('1 of 2');
  await expect(row(page, 40)).toBeInViewport();
  await page.getByRole('button', { name: 'Older match' }).click();
  await expect(position).toHaveText('2 of 2');
  await expect(row(page, 3)).toBeInViewport();

  // A miss.
  await field.fill('zebra');
  await expect(position).toHaveText('No results');
  await expect(messageLog(page).locator('mark')).toHaveCount(0);

  // Escape: the header is back, the window stays where it was.
  await field.press('Escape');
  await expect(field).toBeHidden();
  await expect(page.getByRole('button', { name: 'Chat actions' })).toBeFocused();
  await expect(row(page, 3)).toBeInViewport();
  // The newest messages are still a tap away.
  await page.getByRole('button', { name: 'Go to the newest messages' }).click();
  await expect(messageLog(page).getByText(text(N), { exact: true })).toBeInViewport();
}

test.use({ viewport: { width: 360, height: 740 } });

test('search in a secret chat finds an early message, steps through the matches and closes', async ({ browser, relay }, info) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  try {
    const chatId = await startSecretChat(alice.page, bob.username);
    await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible({ timeout: 30_000 });
    // Written through Alice's worker (no page re-rendering per message).
    await alice.page.goto('/settings');
    const writer = await rpcPage(alice.context, relay.url);
    for (let i = 1; i <= N; i++) await rpc(writer, 'secretSend', { id: chatId, text: text(i) });
    await writer.close();
    await alice.page.goto(`/secret/${chatId}`);
    await searchFlow(alice.page, info, 'search-secret');
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('search in a cloud chat finds an early message, steps through the matches and closes', async ({ browser }, info) => {
  test.setTimeout(120_000);
  // Its own relay: the history is sent faster than the default send rate allows.
  const relay = await startServer({ SEND_RATE_BURST: '1000', SEND_RATE_PER_SEC: '1000' });
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  try {
    const me = (await (await bob.context.request.get('/api/me')).json()) as { user: { id: string } };
    const alice = await signUpApi(relay.url, uniqueName('alice'), PASSWORD);
    // One at a time, so seq order is text order.
    await sendCloud(relay.url, alice, me.user.id, N, 1, (i) => text(i + 1));
    // Synced first (the chat list's preview is the newest message): opened at the first unread message,
    // then at the newest page (the button), where the search starts.
    await expect(bob.page.getByRole('list', { name: 'Chats' }).getByText(text(N), { exact: true })).toBeVisible({ timeout: 30_000 });
    await bob.page.goto(`/chat/${alice.userId}`);
    await expect(bob.page.getByRole('separator', { name: 'Unread messages' })).toBeInViewport();
    await bob.page.getByRole('button', { name: /^Go to the newest messages/ }).click();
    await searchFlow(bob.page, info, 'search-cloud');
  } finally {
    await bob.context.close();
    await relay.stop();
    removeDir(relay.dataDir);
  }
});
