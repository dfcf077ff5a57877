/**
 * A long chat is a window over the stored history: scrolling up loads older pages and drops the
 * newest ones beyond the window, scrolling down does the reverse. Whatever the chat's length the DOM
 * holds at most 300 messages, every message shows exactly once and in order, and the row the reader
 * was looking at stays on screen while pages come and go. Cloud and secret chats alike.
 */
import type { Browser, Page } from '@playwright/test';
import { deleteCloud, sendCloud, signUpApi, type ApiUser } from '../support/api';
import { rpc, rpcPage } from '../support/rpc';
import { removeDir, startServer, type RunningServer } from '../support/server';
import { audit } from './axe';
import { expect, messageLog, PASSWORD, signUp, test, uniqueName, type User } from './fixtures';
import { sendSecret, startSecretChat } from './secret-helpers';

const WINDOW = 300;
const label = (i: number) => `long ${String(i).padStart(4, '0')}`;

/** Messages a test deleted for both: no longer part of the run. */
const deleted = new Set<number>();
test.beforeEach(() => deleted.clear());

/** The numbers of the messages in the DOM, top to bottom; asserts they are one unbroken run. */
async function shown(page: Page): Promise<number[]> {
  const texts = await messageLog(page).locator('[data-message-id] .text').allTextContents();
  const nums = texts.map((t) => Number(/^long (\d{4})$/.exec(t)?.[1] ?? NaN));
  expect(nums.length).toBeLessThanOrEqual(WINDOW);
  const run = Array.from({ length: (nums.at(-1) ?? 0) - (nums[0] ?? 0) + 1 }, (_, k) => nums[0] + k).filter((i) => !deleted.has(i));
  expect(nums).toEqual(nums.length ? run : []);
  return nums;
}

async function scrollEnd(page: Page, top: boolean) {
  await page.locator('.scroll.messages').evaluate((el, t) => (el.scrollTop = t ? 0 : el.scrollHeight), top);
}

/** Scrolls to the top until an older page shows; returns the row that was on top, still on screen. */
async function pageUp(page: Page): Promise<number> {
  const first = (await shown(page))[0];
  await scrollEnd(page, true);
  await expect.poll(async () => (await shown(page))[0], { timeout: 15_000 }).toBeLessThan(first);
  // The row that was on top is still on screen: the list did not jump.
  await expect(messageLog(page).getByText(label(first), { exact: true })).toBeInViewport();
  return first;
}

async function pageDown(page: Page): Promise<number> {
  const last = (await shown(page)).at(-1)!;
  await scrollEnd(page, false);
  await expect.poll(async () => (await shown(page)).at(-1), { timeout: 15_000 }).toBeGreaterThan(last);
  await expect(messageLog(page).getByText(label(last), { exact: true })).toBeInViewport();
  return last;
}

/**
 * Opened with all `n` messages unread, the chat shows the first under the "Unread messages" divider;
 * the newest-messages button goes to the end. From there up to the first and back down, checking the
 * window all the way.
 */
async function walk(page: Page, n: number) {
  await expect(page.getByRole('separator', { name: 'Unread messages' })).toBeInViewport();
  await expect(messageLog(page).getByText(label(1), { exact: true })).toBeInViewport();
  await expect(messageLog(page).getByText(label(n), { exact: true })).toHaveCount(0);
  await page.getByRole('button', { name: /^Go to the newest messages/ }).click();
  await expect(messageLog(page).getByText(label(n), { exact: true })).toBeInViewport();
  let nums = await shown(page);
  expect(nums.at(-1)).toBe(n);
  let maxShown = nums.length;
  for (let step = 0; nums[0] > 1; step++) {
    expect(step).toBeLessThan(30);
    await pageUp(page);
    nums = await shown(page);
    maxShown = Math.max(maxShown, nums.length);
  }
  expect(nums[0]).toBe(1);
  expect(maxShown).toBe(WINDOW);
  // The window at the top: the first WINDOW rows (a secret chat's service notes among them).
  expect(nums.length + (await messageLog(page).locator('li.service').count())).toBe(WINDOW);
  const toLatest = page.getByRole('button', { name: 'Go to the newest messages' });
  await expect(toLatest).toBeVisible();
  for (let step = 0; nums.at(-1)! < n; step++) {
    expect(step).toBeLessThan(30);
    await pageDown(page);
    nums = await shown(page);
  }
  await scrollEnd(page, false);
  await expect(toLatest).toBeHidden();
}

const unlimited = { SEND_RATE_BURST: '1000000', SEND_RATE_PER_SEC: '1000000' };

type CloudHistory = { relay: RunningServer; bob: User; alice: ApiUser; bobId: string };

/** A relay, Bob signed up in the browser, and `n` cloud messages to him from Alice (through the API, one at a time so seq order is text order). */
async function withCloudHistory(browser: Browser, n: number, body: (h: CloudHistory) => Promise<void>) {
  const relay = await startServer(unlimited);
  let bob: User | undefined;
  try {
    bob = await signUp(browser, relay, 'bob', 'Bob');
    const me = (await (await bob.context.request.get('/api/me')).json()) as { user: { id: string } };
    const alice = await signUpApi(relay.url, uniqueName('alice'), PASSWORD);
    await sendCloud(relay.url, alice, me.user.id, n, 1, (i) => label(i + 1));
    // Synced before the chat opens (where it opens depends on what is unread).
    await expect(bob.page.locator(`[data-chat="${alice.username}"]`).getByLabel(`${n} unread`)).toBeVisible({ timeout: 60_000 });
    await body({ relay, bob, alice, bobId: me.user.id });
  } finally {
    await bob?.context.close();
    await relay.stop();
    removeDir(relay.dataDir);
  }
}

test('a long cloud chat scrolls to its first message and back as a bounded window, every message once and in order', async ({ browser }) => {
  // Generous: ~25 pages each way and two axe runs over a 300-row DOM (56 s each at load 13 on 2 cores).
  test.setTimeout(420_000);
  const N = 720;
  await withCloudHistory(browser, N, async ({ relay, bob, alice, bobId }) => {
    const page = bob.page;
    await page.goto(`/chat/${alice.userId}`);
    await walk(page, N);
    const toLatest = page.getByRole('button', { name: 'Go to the newest messages' });

    // Far back again (the window leaves the newest messages after 300 rows); the button passes axe.
    let reading = 0;
    for (let k = 0; k < 8; k++) reading = await pageUp(page);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await audit(page, `long chat scrolled back (${scheme})`);
    }
    // Alice deletes for both the message Bob is reading far back: it goes at once, nothing jumps.
    const target = messageLog(page).locator('[data-message-id]', { has: page.getByText(label(reading + 1), { exact: true }) });
    await deleteCloud(relay.url, alice, bobId, [(await target.getAttribute('data-message-id'))!]);
    deleted.add(reading + 1);
    await expect(messageLog(page).getByText(label(reading + 1), { exact: true })).toHaveCount(0);
    await expect(messageLog(page).getByText(label(reading), { exact: true })).toBeInViewport();
    await shown(page);
    // A new message meanwhile does not move the reader; the button brings it.
    await sendCloud(relay.url, alice, bobId, 1, 1, () => label(N + 1));
    await expect(messageLog(page).getByText(label(reading), { exact: true })).toBeInViewport();
    await toLatest.click();
    await expect(messageLog(page).getByText(label(N + 1), { exact: true })).toBeInViewport();
    expect((await shown(page)).at(-1)).toBe(N + 1);

    // Sending while scrolled far back jumps to the newest messages with the new one at the end.
    for (let k = 0; k < 8; k++) await pageUp(page);
    await page.getByLabel('Message', { exact: true }).fill('back at the end');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(messageLog(page).getByText('back at the end', { exact: true })).toBeInViewport();
    await expect(messageLog(page).getByText(label(N + 1), { exact: true })).toBeAttached();
  });
});

test('a chat opens with a short first page; a tall screen it does not fill gets an older page without a scroll', async ({ browser }) => {
  const N = 90;
  await withCloudHistory(browser, N, async ({ bob, alice }) => {
    // ~2,000 px of messages area: more than the first page's rows fill, so nothing can be scrolled.
    await bob.page.setViewportSize({ width: 1280, height: 2200 });
    // Read first (opened at the first unread message, then down to the newest), then opened again: at its newest page.
    await bob.page.goto(`/chat/${alice.userId}`);
    await bob.page.getByRole('button', { name: /^Go to the newest messages/ }).click();
    await expect(messageLog(bob.page).getByText(label(N), { exact: true })).toBeInViewport();
    await bob.page.goto('/');
    await expect(bob.page.locator(`[data-chat="${alice.username}"]`).locator('.badge')).toHaveCount(0);
    await bob.page.goto(`/chat/${alice.userId}`);
    await expect(bob.page.getByRole('separator', { name: 'Unread messages' })).toHaveCount(0);
    // The first 20 rows leave the screen half empty: one older page (50) follows unasked and
    // fills it, and then no more (the list now scrolls, so further pages wait for the reader).
    await expect.poll(async () => (await shown(bob.page))[0], { timeout: 15_000 }).toBe(N - 20 - 50 + 1);
    expect((await shown(bob.page)).at(-1)).toBe(N);
    const scroller = bob.page.locator('.scroll.messages');
    expect(await scroller.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    await expect(messageLog(bob.page).getByText(label(N), { exact: true })).toBeInViewport();
    await bob.page.waitForTimeout(1000);
    expect((await shown(bob.page))[0]).toBe(N - 20 - 50 + 1);
  });
});

test('a long secret chat pages the same way, in the order the messages were sent', async ({ browser }) => {
  test.setTimeout(420_000);
  const N = 420;
  const relay = await startServer(unlimited);
  const contexts = [];
  try {
    const alice = await signUp(browser, relay, 'alice', 'Alice');
    const bob = await signUp(browser, relay, 'bob', 'Bob');
    contexts.push(alice.context, bob.context);
    const chatId = await startSecretChat(alice.page, bob.username);
    await expect(alice.page.getByText('Bob joined your secret chat.')).toBeVisible({ timeout: 30_000 });

    // Alice's device writes the history through its own worker (no page re-rendering per message);
    // Bob's app is closed meanwhile and takes the whole backlog when it opens.
    await bob.page.close();
    await alice.page.goto('/settings');
    const writer = await rpcPage(alice.context, relay.url);
    for (let i = 1; i <= N; i++) await rpc(writer, 'secretSend', { id: chatId, text: label(i) });

    const page = await bob.context.newPage();
    await page.goto('/');
    // The whole backlog first (decrypted message by message: minutes on a loaded machine), then opened.
    const entry = page.locator(`[data-secret-chat="${alice.username}"]`);
    await expect(entry.getByLabel(`${N} unread`)).toBeVisible({ timeout: 150_000 });
    await entry.click();
    await walk(page, N);

    // The newest-messages button and a reply from Bob while scrolled back.
    for (let k = 0; k < 2; k++) await pageUp(page);
    await expect(page.getByRole('button', { name: 'Go to the newest messages' })).toBeVisible();
    await sendSecret(page, 'reply from far back');
    await expect(messageLog(page).getByText('reply from far back', { exact: true })).toBeInViewport();
    await alice.page.goto(`/secret/${chatId}`);
    await expect(messageLog(alice.page).getByText('reply from far back', { exact: true })).toBeVisible({ timeout: 30_000 });
  } finally {
    for (const c of contexts) await c.close();
    await relay.stop();
    removeDir(relay.dataDir);
  }
});
