/**
 * A profile's "Send message" stays where it was first drawn while the person's last seen arrives (a
 * second answer from the worker): a tap aimed at it a moment before the line appeared landed beside
 * it and nothing opened (a WebKit cross-engine flake was that tap).
 */
import { expect, signUp, test } from './fixtures';

test('the profile keeps the last-seen line\'s room: "Send message" does not move when it arrives', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  // Every position the link has, from its first render on (each DOM change, painted or not).
  await alice.page.addInitScript(() => {
    const tops: number[] = [];
    (window as unknown as { __linkTops: number[] }).__linkTops = tops;
    new MutationObserver(() => {
      const link = [...document.querySelectorAll('a')].find((a) => a.textContent?.trim() === 'Send message');
      const top = link && Math.round(link.getBoundingClientRect().top);
      if (top !== undefined && tops.at(-1) !== top) tops.push(top);
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await alice.page.goto(`/u/${bob.username}`);
  await expect(alice.page.locator('[data-last-seen]')).toHaveText(/^(online|last seen .+)$/);
  await expect(alice.page.getByRole('link', { name: 'Send message' })).toBeVisible();
  expect(await alice.page.evaluate(() => (window as unknown as { __linkTops: number[] }).__linkTops)).toHaveLength(1);
});
