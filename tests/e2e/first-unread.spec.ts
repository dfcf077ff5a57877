/**
 * A chat with unread messages opens at the first of them, under an "Unread messages" divider near the
 * top of the screen; only what is on screen counts as read (the sender's ticks say so), the rest when
 * scrolled to. The "newest messages" button carries the unread count. Opened again once all is read,
 * the chat opens at its newest message with no divider. A cloud chat and a secret chat.
 */
import type { Locator, Page, TestInfo } from '@playwright/test';
import { rpc, rpcPage } from '../support/rpc';
import { audit } from './axe';
import { expect, messageLog, openChatWith, signUp, test, type User } from './fixtures';
import { secretPair } from './secret-helpers';

const N = 60;
const label = (kind: string, i: number) => `${kind} ${String(i).padStart(2, '0')}`;

const row = (page: Page, text: string) => messageLog(page).locator('[data-message-id]', { has: page.getByText(text, { exact: true }) });
const ticks = (page: Page, text: string) => row(page, text).locator('[data-ticks]');
const divider = (page: Page) => page.getByRole('separator', { name: 'Unread messages' });

/** Alice writes `N` messages through her own worker (no chat page re-rendering after each), her app on another screen meanwhile. */
async function writeMany(alice: User, relayUrl: string, send: (writer: Page, i: number) => Promise<unknown>, sent?: (writer: Page) => Promise<boolean>) {
  await alice.page.goto('/settings');
  const writer = await rpcPage(alice.context, relayUrl);
  for (let i = 1; i <= N; i++) await send(writer, i);
  if (sent) await expect.poll(() => sent(writer), { timeout: 60_000 }).toBe(true);
  await writer.close();
}

/** Alice scrolls her side of the chat up to her first message: all `N` are in her window, with their ticks. */
async function allShown(alice: Page, kind: string) {
  const scroller = alice.locator('.scroll.messages');
  const first = messageLog(alice).getByText(label(kind, 1), { exact: true });
  await expect
    .poll(
      async () => {
        await scroller.evaluate((el) => (el.scrollTop = 0));
        return first.count();
      },
      { timeout: 30_000 }
    )
    .toBe(1);
  await expect(messageLog(alice).getByText(label(kind, N), { exact: true })).toHaveCount(1);
}

/** Bob, in the chat list, opens the chat once all `N` arrived: it opens at the first unread one, not at the newest. */
async function opensAtFirstUnread(bob: Page, entry: Locator, kind: string, info: TestInfo) {
  await expect(entry.getByLabel(`${N} unread`)).toBeVisible({ timeout: 90_000 });
  await entry.click();
  const log = messageLog(bob);
  await expect(divider(bob)).toBeInViewport();
  await expect(log.getByText(label(kind, 1), { exact: true })).toBeInViewport();
  // The divider is near the top of the list, not at its bottom.
  const list = (await bob.locator('.scroll.messages').boundingBox())!;
  const bar = (await divider(bob).boundingBox())!;
  expect(bar.y - list.y).toBeLessThan(list.height / 3);
  // The newest message is not on screen (not even in the window yet).
  await expect(log.getByText(label(kind, N), { exact: true })).not.toBeInViewport();
  // The button down to it says how many are still unread.
  const toLatest = bob.getByRole('button', { name: /^Go to the newest messages, \d+ unread$/ });
  await expect(toLatest).toBeVisible();
  // What is on screen is read as it shows (a moment later on a busy machine): the count drops below N, not to 0.
  const unread = async () => Number(await toLatest.locator('[data-unread]').getAttribute('data-unread'));
  await expect.poll(unread, { timeout: 30_000 }).toBeLessThan(N);
  expect(await unread()).toBeGreaterThan(0);
  for (const scheme of ['light', 'dark'] as const) {
    await bob.emulateMedia({ colorScheme: scheme });
    await audit(bob, `${kind} chat opened at its first unread message (${scheme})`);
    await bob.screenshot({ path: info.outputPath(`first-unread-${kind}-${scheme}.png`) });
  }
  await bob.emulateMedia({ colorScheme: 'light' });
}

/** Down to the end, most of a screen at a time (a secret chat reads only the rows really shown): everything is read on the way; the divider stays. */
async function scrollToEnd(bob: Page, kind: string) {
  const scroller = bob.locator('.scroll.messages');
  const newest = messageLog(bob).getByText(label(kind, N), { exact: true });
  await expect
    .poll(
      async () => {
        await scroller.evaluate((el) => (el.scrollTop += el.clientHeight * 0.7));
        return (await newest.isVisible()) && (await scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 2));
      },
      { timeout: 60_000 }
    )
    .toBe(true);
  await expect(newest).toBeInViewport();
  await expect(divider(bob)).toHaveCount(1);
}

/** Opened again: at the newest message, without a divider. */
async function reopens(bob: Page, entry: Locator, kind: string) {
  await bob.goto('/');
  await expect(entry).toBeVisible();
  await expect(entry.locator('.badge')).toHaveCount(0, { timeout: 30_000 });
  await entry.click();
  await expect(messageLog(bob).getByText(label(kind, N), { exact: true })).toBeInViewport();
  await expect(divider(bob)).toHaveCount(0);
}

test('a cloud chat opens at its first unread message and reads only what is shown', async ({ browser, relay }, info) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  try {
    const bobId = ((await (await bob.context.request.get('/api/me')).json()) as { user: { id: string } }).user.id;
    // Written once the relay has them all (a cloud message leaves the writer's outbox with its seq).
    await writeMany(
      alice,
      relay.url,
      (w, i) => rpc(w, 'send', { peerId: bobId, text: label('cloud', i) }),
      async (w) => (await rpc<{ messages: { seq: number }[] }>(w, 'messages', { peerId: bobId, limit: N })).messages.every((m) => m.seq > 0)
    );

    // Alice keeps the chat open, scrolled up to her first message (older than the last page her window re-reads).
    await openChatWith(alice.page, bob.username);
    await allShown(alice.page, 'cloud');
    await expect(ticks(alice.page, label('cloud', 1))).toHaveAttribute('data-ticks', 'sent');

    const entry = bob.page.locator(`[data-chat="${alice.username}"]`);
    await opensAtFirstUnread(bob.page, entry, 'cloud', info);
    // Alice sees two ticks on what Bob saw, without opening the chat again; not on the newest messages.
    await expect(ticks(alice.page, label('cloud', 1))).toHaveAttribute('data-ticks', 'read', { timeout: 30_000 });
    await expect(ticks(alice.page, label('cloud', N))).toHaveAttribute('data-ticks', 'sent');

    // Reloaded, the chat opens afresh at the first message still unread, below the ones seen.
    await bob.page.reload();
    await expect(divider(bob.page)).toBeInViewport();
    await expect(messageLog(bob.page).getByText(label('cloud', 1), { exact: true })).not.toBeInViewport();
    await expect(messageLog(bob.page).getByText(label('cloud', N), { exact: true })).not.toBeInViewport();

    await scrollToEnd(bob.page, 'cloud');
    await expect(ticks(alice.page, label('cloud', N))).toHaveAttribute('data-ticks', 'read', { timeout: 30_000 });
    await reopens(bob.page, entry, 'cloud');
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test('a secret chat opens at its first unread message and reads only what is shown', async ({ browser, relay }, info) => {
  test.setTimeout(240_000);
  const { alice, bob, chatId } = await secretPair(browser, relay);
  try {
    await bob.page.goto('/');
    await writeMany(alice, relay.url, (w, i) => rpc(w, 'secretSend', { id: chatId, text: label('secret', i) }));
    await alice.page.goto(`/secret/${chatId}`);
    await allShown(alice.page, 'secret');

    const entry = bob.page.locator(`[data-secret-chat="${alice.username}"]`);
    await opensAtFirstUnread(bob.page, entry, 'secret', info);
    await expect(ticks(alice.page, label('secret', 1))).toHaveAttribute('data-ticks', 'read', { timeout: 30_000 });
    // Bob's screen shows a dozen rows below the divider at most: the newest were never seen.
    await expect(ticks(alice.page, label('secret', N))).toHaveAttribute('data-ticks', 'sent');
    await expect(ticks(alice.page, label('secret', 40))).toHaveAttribute('data-ticks', 'sent');

    await scrollToEnd(bob.page, 'secret');
    await expect(ticks(alice.page, label('secret', N))).toHaveAttribute('data-ticks', 'read', { timeout: 30_000 });
    await reopens(bob.page, entry, 'secret');
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
