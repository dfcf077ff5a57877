/**
 * Search across all chats from the chat list: a word found in two chats lists both messages under
 * "Messages" (newest first, the match marked), the results are reachable by Tab, and one far back in
 * a long chat opens that chat re-centred on it and highlighted. A miss says "No messages found".
 * Results come 30 at a time, the next page when "Load more" scrolls into view; a new match keeps the pages loaded.
 * The search is kept in memory, never in the URL (Back from a result on a phone shows it again), follows new messages,
 * stays beside an open chat on a wide screen, where a result tapped again is shown again (a secret chat's too);
 * Back to a result from a later page loads those pages again and scrolls to it.
 * A secret chat and Saved Messages are searched too, a spoiler staying masked in the snippet.
 */
import type { Page } from '@playwright/test';
import { sendCloud, signUpApi } from '../support/api';
import { rpc, rpcPage } from '../support/rpc';
import { removeDir, startServer } from '../support/server';
import { audit } from './axe';
import { expect, messageLog, PASSWORD, signUp, test, uniqueName } from './fixtures';
import { startSecretChat } from './secret-helpers';

const N = 60;
/** Alice's message i: an early one mentions the café. */
const fromAlice = (i: number) => (i === 3 ? 'Meet me at the Café on Friday?' : `message ${i}`);
const FROM_CAROL = ['a cafe latte for me', 'see you'];

const row = (page: Page, text: string) => messageLog(page).locator('[data-message-id]', { has: page.getByText(text, { exact: true }) });

test.use({ viewport: { width: 360, height: 740 } });

test('the chat list finds messages in every chat and opens one far back at its place', async ({ browser }) => {
  test.setTimeout(120_000);
  // Its own relay: the history is sent faster than the default send rate allows.
  const relay = await startServer({ SEND_RATE_BURST: '1000', SEND_RATE_PER_SEC: '1000' });
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const { page } = bob;
  try {
    const me = (await (await bob.context.request.get('/api/me')).json()) as { user: { id: string } };
    const alice = await signUpApi(relay.url, uniqueName('alice'), PASSWORD);
    const carol = await signUpApi(relay.url, uniqueName('carol'), PASSWORD);
    // One at a time, so seq order is text order; Carol writes last.
    await sendCloud(relay.url, alice, me.user.id, N, 1, (i) => fromAlice(i + 1));
    await sendCloud(relay.url, carol, me.user.id, FROM_CAROL.length, 1, (i) => FROM_CAROL[i]);
    const chats = page.getByRole('list', { name: 'Chats' });
    await expect(chats.getByText(fromAlice(N), { exact: true })).toBeVisible({ timeout: 30_000 });
    await expect(chats.getByText(FROM_CAROL[1], { exact: true })).toBeVisible({ timeout: 30_000 });

    // Alice's chat read to its end: it opens at its newest messages from now on.
    await page.goto(`/chat/${alice.userId}`);
    await page.getByRole('button', { name: /^Go to the newest messages/ }).click();
    await expect(row(page, fromAlice(N))).toBeInViewport();
    await page.goto('/');

    const field = page.getByLabel('Search chats and people');
    await field.fill('cafe');
    await expect(page.getByRole('heading', { name: 'Messages', exact: true })).toBeVisible();
    const results = page.getByRole('list', { name: 'Message search results' }).getByRole('link');
    // Both chats, newest first, the match marked (the accent too).
    await expect(results).toHaveCount(2);
    await expect(results.nth(0)).toContainText(carol.username);
    await expect(results.nth(0)).toContainText('a cafe latte for me');
    await expect(results.nth(0).locator('mark')).toHaveText('cafe');
    await expect(results.nth(1)).toContainText(alice.username);
    await expect(results.nth(1).locator('mark')).toHaveText('Café');
    await expect(page.getByText('No messages found')).toHaveCount(0);
    await audit(page, 'message search results');

    // Reachable by Tab from the field; Enter opens it.
    await field.focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await results.nth(1).evaluate((el) => el === document.activeElement);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');

    // The chat opens re-centred on that early message, highlighted, far from the newest ones.
    await expect(page).toHaveURL(new RegExp(`/chat/${alice.userId}\\?m=`));
    await expect(row(page, fromAlice(3))).toBeInViewport();
    await expect(row(page, fromAlice(3))).toHaveAttribute('data-highlight', '');
    await expect(row(page, fromAlice(N))).toHaveCount(0);

    // A miss.
    await page.goto('/');
    await field.fill('zebra');
    await expect(page.getByText('No messages found.')).toBeVisible();
    await expect(page.getByRole('list', { name: 'Message search results' })).toHaveCount(0);

    // Pages of 30: Alice's other 59 messages are the first page, then the next one once "Load more" scrolls into view.
    await field.fill('message');
    await expect(results).toHaveCount(30);
    const more = page.getByRole('button', { name: 'Load more' });
    await more.scrollIntoViewIfNeeded();
    await expect(results).toHaveCount(N - 1);
    await expect(more).toHaveCount(0);
    await expect(results.nth(0)).toContainText(`message ${N}`);
    await expect(results.nth(N - 2)).toHaveText(/message 1$/);

    // A new match while both pages are shown: the re-run keeps the pages loaded (the new one on top), the list where it was.
    // (Never a first page alone meanwhile, which "Load more" at the end would then fill again: the list jumped.)
    await results.nth(N - 2).scrollIntoViewIfNeeded();
    await page.evaluate(() => {
      const shown = () => document.querySelectorAll('[aria-label="Message search results"] a').length;
      const w = window as unknown as { fewest: number };
      w.fewest = shown();
      new MutationObserver(() => (w.fewest = Math.min(w.fewest, shown()))).observe(document.body, { childList: true, subtree: true });
    });
    await sendCloud(relay.url, alice, me.user.id, 1, 1, () => 'message new');
    await expect(results.nth(0)).toContainText('message new');
    await expect(results).toHaveCount(N);
    await expect(results.nth(N - 1)).toHaveText(/message 1$/);
    await expect(results.nth(N - 1)).toBeInViewport();
    expect(await page.evaluate(() => (window as unknown as { fewest: number }).fewest)).toBe(N - 1);

    // Phone: Back from a result shows the search again, scrolled to that result; its words never enter the URL (history).
    await field.fill('cafe');
    await expect(results).toHaveCount(2);
    await expect(page).not.toHaveURL(/cafe/);
    await results.nth(1).click();
    await expect(row(page, fromAlice(3))).toHaveAttribute('data-highlight', '');
    await page.goBack();
    await expect(field).toHaveValue('cafe');
    await expect(results).toHaveCount(2);
    await expect(page).not.toHaveURL(/cafe/);
    // One far down the first page: the list comes back scrolled to it.
    await field.fill('message');
    await expect(results).toHaveCount(30);
    await results.nth(25).click();
    await expect(page).toHaveURL(/\?m=/);
    await page.goBack();
    await expect(field).toHaveValue('message');
    await expect(results.nth(25)).toBeInViewport();
    await expect(results.nth(0)).not.toBeInViewport();
    // One on the second page ("Load more"): Back loads both pages again and scrolls to it.
    await more.scrollIntoViewIfNeeded();
    await expect(results).toHaveCount(N);
    await results.nth(45).click();
    await expect(page).toHaveURL(/\?m=/);
    await page.goBack();
    await expect(field).toHaveValue('message');
    await expect(results.nth(45)).toBeInViewport();
    await expect(results.nth(0)).not.toBeInViewport();

    // A new message that matches shows up in the shown results.
    await field.fill('cafe');
    await expect(results).toHaveCount(2);
    await sendCloud(relay.url, carol, me.user.id, 1, 1, () => 'one more cafe, please');
    await expect(results).toHaveCount(3);
    await expect(results.nth(0)).toContainText('one more cafe, please');

    // Beside the chat (wide): the search stays while a result is open, and tapping it again shows it again.
    await page.setViewportSize({ width: 1200, height: 800 });
    await results.nth(2).click();
    await expect(page).toHaveURL(new RegExp(`/chat/${alice.userId}\\?m=`));
    const highlighted = row(page, fromAlice(3));
    await expect(highlighted).toHaveAttribute('data-highlight', '');
    await expect(field).toHaveValue('cafe');
    await expect(results).toHaveCount(3);
    await expect(highlighted).not.toHaveAttribute('data-highlight', '');
    await results.nth(2).click();
    await expect(highlighted).toHaveAttribute('data-highlight', '');
  } finally {
    await bob.context.close();
    await relay.stop();
    removeDir(relay.dataDir);
  }
});

test('a secret chat and Saved Messages are searched too; a secret result opens at its place', async ({ browser, relay }) => {
  test.setTimeout(180_000);
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const { page } = alice;
  const note = (i: number) => (i === 3 ? 'the picnic plan, early on' : `note ${i}`);
  try {
    const chatId = await startSecretChat(page, bob.username);
    await expect(page.getByText('Bob joined your secret chat.')).toBeVisible({ timeout: 30_000 });
    const me = (await (await alice.context.request.get('/api/me')).json()) as { user: { id: string } };
    // Written through Alice's worker (no page re-rendering per message).
    await page.goto('/settings');
    const writer = await rpcPage(alice.context, relay.url);
    for (let i = 1; i <= N; i++) await rpc(writer, 'secretSend', { id: chatId, text: note(i) });
    await rpc(writer, 'send', { peerId: me.user.id, text: 'Picnic ||at noon|| in the park' });
    await writer.close();

    await page.goto('/');
    await page.getByLabel('Search chats and people').fill('picnic');
    const results = page.getByRole('list', { name: 'Message search results' }).getByRole('link');
    await expect(results).toHaveCount(2);
    // Saved Messages (the newest), its spoiler masked; then the secret chat's early message.
    await expect(results.nth(0)).toContainText('Saved Messages');
    await expect(results.nth(0)).toContainText('Picnic ▒▒▒▒▒ in the park');
    await expect(results.nth(0)).not.toContainText('noon');
    await expect(results.nth(1)).toContainText('Bob');
    await expect(results.nth(1)).toContainText('You: the picnic plan, early on');
    await audit(page, 'message search results, secret and saved');

    await results.nth(1).click();
    await expect(page).toHaveURL(new RegExp(`/secret/${chatId}\\?m=`));
    await expect(row(page, note(3))).toBeInViewport();
    await expect(row(page, note(N))).toHaveCount(0);

    // Wide: the search beside the secret chat; the same result tapped again shows it again.
    await page.setViewportSize({ width: 1200, height: 800 });
    const found = row(page, note(3));
    await expect(page.getByLabel('Search chats and people')).toHaveValue('picnic');
    await expect(results).toHaveCount(2);
    await expect(found).not.toHaveAttribute('data-highlight', '');
    await results.nth(1).click();
    await expect(found).toHaveAttribute('data-highlight', '');
    await expect(found).toBeInViewport();
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
