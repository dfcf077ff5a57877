/**
 * A long cloud chat is a window over the stored history: scrolling up loads older pages and drops
 * the newest ones beyond the window, scrolling down does the reverse. Whatever the chat's length the
 * DOM holds at most 200 messages, every message shows exactly once and in order, and the row the
 * reader was looking at stays on screen while pages come and go.
 */
import type { Page } from '@playwright/test';
import { sendCloud, signUpApi } from '../support/api';
import { removeDir, startServer } from '../support/server';
import { audit } from './axe';
import { expect, messageLog, PASSWORD, signUp, test, uniqueName } from './fixtures';

const N = 620;
const WINDOW = 200;
const label = (i: number) => `long ${String(i).padStart(4, '0')}`;

/** The numbers of the messages in the DOM, top to bottom; asserts they are one unbroken run. */
async function shown(page: Page): Promise<number[]> {
  const texts = await messageLog(page).locator('[data-message-id] .text').allTextContents();
  const nums = texts.map((t) => Number(/^long (\d{4})$/.exec(t)?.[1] ?? NaN));
  expect(nums.length).toBeLessThanOrEqual(WINDOW);
  expect(nums).toEqual(Array.from({ length: nums.length }, (_, k) => nums[0] + k));
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

test('a long chat scrolls to its first message and back as a bounded window, every message once and in order', async ({ browser }) => {
  test.setTimeout(240_000);
  const relay = await startServer({ SEND_RATE_BURST: '1000000', SEND_RATE_PER_SEC: '1000000' });
  const contexts = [];
  try {
    const bob = await signUp(browser, relay, 'bob', 'Bob');
    contexts.push(bob.context);
    const me = (await (await bob.context.request.get('/api/me')).json()) as { user: { id: string } };
    const alice = await signUpApi(relay.url, uniqueName('alice'), PASSWORD);
    // One at a time, so seq order is text order.
    await sendCloud(relay.url, alice, me.user.id, N, 1, (i) => label(i + 1));

    const page = bob.page;
    await page.goto(`/chat/${alice.userId}`);
    await expect(messageLog(page).getByText(label(N), { exact: true })).toBeVisible({ timeout: 30_000 });
    let nums = await shown(page);
    expect(nums.at(-1)).toBe(N);

    // Up to the very first message, a page at a time.
    let maxShown = nums.length;
    for (let step = 0; nums[0] > 1; step++) {
      expect(step).toBeLessThan(30);
      await pageUp(page);
      nums = await shown(page);
      maxShown = Math.max(maxShown, nums.length);
    }
    expect(nums[0]).toBe(1);
    expect(maxShown).toBe(WINDOW);
    expect(nums.at(-1)).toBe(WINDOW);
    const toLatest = page.getByRole('button', { name: 'Go to the newest messages' });
    await expect(toLatest).toBeVisible();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await audit(page, `long chat scrolled back (${scheme})`);
    }

    // Back down, a page at a time, to the newest.
    for (let step = 0; nums.at(-1)! < N; step++) {
      expect(step).toBeLessThan(30);
      const last = nums.at(-1)!;
      await scrollEnd(page, false);
      await expect.poll(async () => (await shown(page)).at(-1), { timeout: 15_000 }).toBeGreaterThan(last);
      await expect(messageLog(page).getByText(label(last), { exact: true })).toBeInViewport();
      nums = await shown(page);
    }
    await scrollEnd(page, false);
    await expect(toLatest).toBeHidden();

    // Far back again; a new message meanwhile does not move the reader, and the button brings it.
    let reading = 0;
    for (let k = 0; k < 6; k++) reading = await pageUp(page);
    await sendCloud(relay.url, alice, me.user.id, 1, 1, () => label(N + 1));
    await expect(messageLog(page).getByText(label(reading), { exact: true })).toBeInViewport();
    await toLatest.click();
    await expect(messageLog(page).getByText(label(N + 1), { exact: true })).toBeInViewport();
    expect((await shown(page)).at(-1)).toBe(N + 1);

    // Sending while scrolled far back jumps to the newest messages with the new one at the end.
    for (let k = 0; k < 6; k++) await pageUp(page);
    await page.getByLabel('Message', { exact: true }).fill('back at the end');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(messageLog(page).getByText('back at the end', { exact: true })).toBeInViewport();
    await expect(messageLog(page).getByText(label(N + 1), { exact: true })).toBeAttached();
  } finally {
    for (const c of contexts) await c.close();
    await relay.stop();
    removeDir(relay.dataDir);
  }
});
