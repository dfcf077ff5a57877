import type { Page } from '@playwright/test';
import { audit } from './axe';
import { expect, messageLog, newDevice, openChatWith, PASSWORD, sendText, signUp, test, uniqueName, controlledBySW } from './fixtures';
import { sendSecret, startSecretChat } from './secret-helpers';

const syncTags = (page: Page) =>
  page.evaluate(async () => {
    const reg = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & { sync: { getTags(): Promise<string[]> } };
    return reg.sync.getTags();
  });

const banner = (page: Page) => page.locator('[data-connection]');

// Two or three users each signing up and chatting: generous on a loaded machine.
test.describe.configure({ timeout: 180_000 });

/** Issue 16 §6: connection state a person understands, and queued messages out at once on return. */
test('offline: "Waiting for network…" within 2 s with the queued count, Background Sync registered, then delivered at once when the network returns', async ({
  browser,
  relay
}) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  await alice.page.setViewportSize({ width: 360, height: 740 });
  await openChatWith(alice.page, bob.username);
  await openChatWith(bob.page, alice.username);
  await controlledBySW(alice.page);
  await expect(banner(alice.page)).toHaveAttribute('data-connection', 'online');

  await alice.context.setOffline(true);
  // A product requirement: said within 2 s of going offline (the open socket may still look open).
  await expect(banner(alice.page)).toHaveText('Waiting for network…', { timeout: 2_000 });

  const writtenFrom = Date.now();
  await sendText(alice.page, 'first from the tunnel');
  await sendText(alice.page, 'second from the tunnel');
  const writtenTo = Date.now();
  await expect(messageLog(alice.page).locator('[data-ticks="pending"]')).toHaveCount(2);
  await expect(banner(alice.page)).toHaveText('Waiting for network… 2 messages queued');
  // Anything queued registers Background Sync at once, whatever the app believed about its connection.
  await expect.poll(() => syncTags(alice.page)).toContain('cinder-outbox');

  // The banner never covers the chat's title (the peer's name in the top bar).
  const title = await alice.page.locator('header.topbar .peer-name').boundingBox();
  const box = await banner(alice.page).boundingBox();
  expect(title && box).toBeTruthy();
  expect(box!.y).toBeGreaterThanOrEqual(title!.y + title!.height);
  await banner(alice.page).screenshot({ path: test.info().outputPath('offline-banner-360.png') });

  // The network returns: both go out at once (before: 9–20 s of leftover backoff).
  // Bob's page notes when the second message shows (Playwright's polling would blur the time).
  await bob.page.evaluate(() => {
    const w = window as unknown as { shownAt?: number };
    const log = document.querySelector('ol.log')!;
    const seen = () => [...log.querySelectorAll('p.text')].some((p) => p.textContent === 'second from the tunnel');
    new MutationObserver((_m, mo) => {
      if (!seen()) return;
      w.shownAt = Date.now();
      mo.disconnect();
    }).observe(log, { childList: true, subtree: true, characterData: true });
  });
  await alice.context.setOffline(false);
  const back = Date.now();
  await expect(messageLog(bob.page).getByText('second from the tunnel')).toBeVisible({ timeout: 5_000 });
  await expect(messageLog(bob.page).getByText('first from the tunnel')).toBeVisible();
  const shownAt = await bob.page.evaluate(() => (window as unknown as { shownAt?: number }).shownAt);
  console.log(`presence: network back → shown on the peer's screen in ${shownAt! - back} ms`);
  await expect(messageLog(alice.page).locator('[data-ticks="pending"]')).toHaveCount(0);
  await expect(banner(alice.page)).toHaveAttribute('data-connection', 'online');

  // They keep the time they were written, on both sides.
  for (const page of [alice.page, bob.page]) {
    const at = await messageLog(page).locator('li', { hasText: 'first from the tunnel' }).locator('time').getAttribute('datetime');
    const t = Date.parse(at!);
    expect(t).toBeGreaterThanOrEqual(writtenFrom - 1000);
    expect(t).toBeLessThanOrEqual(writtenTo + 1000);
  }
  await alice.context.close();
  await bob.context.close();
});

/** Issue 16 §5: other chats are never silent. */
test('inside a chat, another chat’s messages show on the back control and in the title; a new secret chat shows a notice without its content', async ({
  browser,
  relay
}) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const bob = await signUp(browser, relay, 'bob', 'Bob');
  const carol = await signUp(browser, relay, 'carol', 'Carol');
  await alice.page.setViewportSize({ width: 360, height: 740 });
  await openChatWith(alice.page, bob.username);
  const back = alice.page.getByRole('link', { name: /^Back to chats/ });
  await expect(back).toHaveAccessibleName('Back to chats');
  await expect(alice.page).toHaveTitle('Bob · Cinder');

  await openChatWith(carol.page, alice.username);
  await sendText(carol.page, 'are you there?');
  await sendText(carol.page, 'hello?');
  await expect(back).toHaveAccessibleName('Back to chats, 2 unread');
  await expect(back).toHaveText('2');
  await expect(alice.page).toHaveTitle('(2) Bob · Cinder');
  // Messages in the open chat are seen, not counted.
  await openChatWith(bob.page, alice.username);
  await sendText(bob.page, 'in the open chat');
  await expect(messageLog(alice.page).getByText('in the open chat')).toBeVisible();
  await expect(back).toHaveAccessibleName('Back to chats, 2 unread');
  await alice.page.screenshot({ path: test.info().outputPath('unread-back-360.png') });

  // Bob starts a secret chat: Alice, inside her chat with Bob, is told (his name only).
  const chatId = await startSecretChat(bob.page, alice.username);
  const notice = alice.page.locator('[data-secret-notice]');
  await expect(notice).toContainText('Bob started a secret chat with you.');
  await sendSecret(bob.page, 'secret words');
  await expect(alice.page).toHaveTitle('(3) Bob · Cinder');
  expect(await alice.page.title()).not.toContain('secret words');
  await expect(notice).not.toContainText('secret words');
  for (const scheme of ['light', 'dark'] as const) {
    await alice.page.emulateMedia({ colorScheme: scheme });
    await audit(alice.page, `secret chat notice ${scheme}`);
    await notice.screenshot({ path: test.info().outputPath(`secret-notice-${scheme}-360.png`) });
  }
  await notice.getByRole('button', { name: 'Open' }).click();
  await expect(alice.page).toHaveURL(new RegExp(`/secret/${chatId}$`));
  await expect(messageLog(alice.page).getByText('secret words')).toBeVisible();
  await expect(notice).toHaveCount(0);
  // The secret chat's message is read now; Carol's two still count.
  await expect(alice.page).toHaveTitle(/^\(2\) /);

  // The list itself: back shows the total.
  await alice.page.getByRole('link', { name: /^Back to chats/ }).click();
  await expect(alice.page).toHaveTitle('(2) Chats · Cinder');
  for (const u of [alice, bob, carol]) await u.context.close();
});

/** Issue 16 §8: forms speak human. */
test('sign-up and sign-in check their fields before sending, in words, tied to the field; axe in light and dark', async ({ browser, relay }) => {
  const { context, page } = await newDevice(browser, relay);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/signup');
  const username = page.getByLabel('Username');
  const password = page.getByLabel('Password');
  await username.fill('no spaces!');
  await password.focus(); // leaving the field shows its check
  await expect(username).toHaveAttribute('aria-invalid', 'true');
  await expect(username).toHaveAccessibleDescription(/a-z, 0-9 and _/);
  await password.fill('short');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(password).toHaveAccessibleDescription('At least 8 characters');
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  // Nothing was sent: still here, and no server message with a field prefix.
  await expect(page).toHaveURL(/\/signup$/);
  await expect(page.getByText(/password: |username: /)).toHaveCount(0);
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(page, `sign-up errors ${scheme}`);
    await page.screenshot({ path: test.info().outputPath(`signup-errors-${scheme}-360.png`) });
  }
  // Fixed, the checks go away.
  await username.fill('fine_name');
  await password.fill('long enough now');
  await expect(username).toHaveAttribute('aria-invalid', 'false');
  await expect(password).toHaveAttribute('aria-invalid', 'false');

  await page.goto('/login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Username')).toHaveAccessibleDescription('Enter your username');
  await expect(page.getByLabel('Password')).toHaveAccessibleDescription('Enter your password');
  await audit(page, 'sign-in errors');
  await context.close();
});

test('a server that cannot be reached is said plainly ("Can\'t reach Cinder\'s server…"), and sign-up goes through once it answers', async ({ browser, relay }) => {
  const { context, page } = await newDevice(browser, relay);
  await page.goto('/signup');
  await page.getByLabel('Username').fill(uniqueName('dora'));
  await page.getByLabel('Password').fill(PASSWORD);
  let refused = 0;
  await context.route('**/api/auth/signup', (route) => {
    refused++;
    return route.abort('internetdisconnected');
  });
  await page.getByRole('button', { name: 'Sign up' }).click();
  const alert = page.locator('[data-unreachable]');
  await expect(alert).toHaveText("Can't reach Cinder's server. Check your connection; we'll keep trying.");
  await expect(page.getByText(/app core/)).toHaveCount(0);
  expect(refused).toBeGreaterThan(0);
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(page, `server unreachable ${scheme}`);
  }
  // The server answers again: the form keeps trying on its own.
  await context.unroute('**/api/auth/signup');
  await expect(page.getByRole('heading', { name: 'Chats' })).toBeVisible({ timeout: 20_000 });
  await context.close();
});

/** Settings' passcode form checks before it secures anything. */
test('the passcode form says "At least 4 characters" and "The passcodes don\'t match" before anything is done', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const { page } = alice;
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/settings');
  const first = page.getByLabel('Passcode', { exact: true });
  const repeat = page.getByLabel('Repeat the passcode');
  await expect(first).toHaveAccessibleDescription('At least 4 characters');
  await first.fill('12');
  await page.getByRole('button', { name: 'Set passcode' }).click();
  await expect(first).toHaveAttribute('aria-invalid', 'true');
  await first.fill('2468');
  await repeat.fill('2469');
  await expect(repeat).toHaveAccessibleDescription("The passcodes don't match");
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(page, `passcode errors ${scheme}`);
  }
  await expect(page.getByText('Passcode set.')).toHaveCount(0);
  await repeat.fill('2468');
  await page.getByRole('button', { name: 'Set passcode' }).click();
  await expect(page.getByText('Passcode set.')).toBeVisible({ timeout: 15_000 });
  await alice.context.close();
});
