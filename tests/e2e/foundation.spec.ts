import { chromium } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium';
import { removeDir } from '../support/server';
import { expect, logIn, messageLog, openChatWith, sendText, signUp, test, PASSWORD, uniqueName, controlledBySW } from './fixtures';

test('two users chat in real time; a second device gets the history; offline reload still shows it', async ({ browser, relay }) => {
  const alice = await signUp(browser, relay, 'alice', 'Alice Liddell');
  const bob = await signUp(browser, relay, 'bob', 'Bob Builder');

  await openChatWith(alice.page, bob.username);
  await sendText(alice.page, 'Hello Bob, this is Alice');
  const aliceLog = messageLog(alice.page);
  await expect(aliceLog.getByText('Hello Bob, this is Alice')).toBeVisible();
  // One tick once the relay stored it.
  await expect(aliceLog.locator('[data-ticks="sent"]')).toHaveCount(1);

  // Bob sees the chat appear in real time with an unread badge.
  const bobRow = bob.page.locator(`[data-chat="${alice.username}"]`);
  await expect(bobRow).toContainText('Hello Bob, this is Alice');
  await expect(bobRow.getByLabel('1 unread')).toBeVisible();
  await bobRow.click();
  await expect(messageLog(bob.page).getByText('Hello Bob, this is Alice')).toBeVisible();

  // Bob read it: Alice gets two ticks.
  await expect(aliceLog.locator('[data-ticks="read"]')).toHaveCount(1);

  await sendText(bob.page, 'Hi Alice! Bob here.');
  await expect(aliceLog.getByText('Hi Alice! Bob here.')).toBeVisible();
  await sendText(alice.page, 'Third message');
  await expect(messageLog(bob.page).getByText('Third message')).toBeVisible();

  // Typing travels live.
  await bob.page.getByLabel('Message', { exact: true }).pressSequentially('typing', { delay: 20 });
  await expect(alice.page.getByText('typing…')).toBeVisible();

  // Alice on a second device sees the whole history.
  const alice2 = await logIn(browser, relay, alice.username);
  await alice2.page.locator(`[data-chat="${bob.username}"]`).click();
  const log2 = messageLog(alice2.page);
  await expect(log2.getByText('Hello Bob, this is Alice')).toBeVisible();
  await expect(log2.getByText('Hi Alice! Bob here.')).toBeVisible();
  await expect(log2.getByText('Third message')).toBeVisible();

  // A message from the second device shows on the first one too.
  await sendText(alice2.page, 'From my second device');
  await expect(aliceLog.getByText('From my second device')).toBeVisible();
  await expect(messageLog(bob.page).getByText('From my second device')).toBeVisible();

  // Offline: once the service worker controls the page, a reload with no network shows the cached history.
  await alice.page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await alice.page.reload();
  await controlledBySW(alice.page);
  await alice.context.setOffline(true);
  await alice.page.reload();
  await expect(messageLog(alice.page).getByText('Hi Alice! Bob here.')).toBeVisible();
  // Issue 16 §6: offline is said as such (was "Connecting…", which never ends while offline).
  await expect(alice.page.getByText('Waiting for network…')).toBeVisible();
  await alice.context.setOffline(false);

  for (const u of [alice, bob, alice2]) await u.context.close();
});

test('visiting a page again (a 304 revalidation) keeps the app policy and the app works', async ({ browser, relay }) => {
  const context = await browser.newContext({ baseURL: relay.url });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));
  for (let i = 0; i < 3; i++) {
    await page.goto('/signup');
    await expect(page.getByLabel('Username')).toBeVisible();
  }
  await page.reload();
  await expect(page.getByLabel('Username')).toBeVisible();
  expect(violations).toEqual([]);
  await context.close();
});

test('sign-up and login errors are clear; the device list can revoke another device', async ({ browser, relay }) => {
  const carol = await signUp(browser, relay, 'carol');

  // Duplicate username, case-insensitively.
  const { context, page } = await (async () => {
    const context = await browser.newContext({ baseURL: relay.url });
    return { context, page: await context.newPage() };
  })();
  await page.goto('/signup');
  await page.getByLabel('Username').fill(carol.username.toUpperCase());
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('alert')).toContainText(/taken/i);

  // Wrong password and unknown user read the same.
  await page.goto('/login');
  await page.getByLabel('Username').fill(carol.username);
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const wrong = await page.getByRole('alert').textContent();
  await page.getByLabel('Username').fill(uniqueName('nobody'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText(wrong!);

  // Bad username shape is refused with the rule.
  await page.goto('/signup');
  await page.getByLabel('Username').fill('no spaces!');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('alert')).toContainText('a-z, 0-9 and _');
  await context.close();

  // Carol signs in elsewhere, then revokes that device from the first one.
  const carol2 = await logIn(browser, relay, carol.username);
  await carol.page.goto('/settings');
  const devices = carol.page.getByRole('list', { name: 'Devices' });
  await expect(devices.getByRole('listitem')).toHaveCount(2);
  await expect(devices.getByText('This device')).toHaveCount(1);
  await devices.getByRole('button', { name: /Sign out/ }).click();
  await expect(devices.getByRole('listitem')).toHaveCount(1);
  // The revoked device is told at once and wiped.
  await expect(carol2.page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(carol2.page.getByText('This device was signed out')).toBeVisible();

  // Logging out returns to the sign-in screen.
  await carol.page.getByRole('button', { name: 'Log out' }).click();
  await carol.page.getByRole('button', { name: 'Yes, log out' }).click();
  await expect(carol.page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await carol.context.close();
  await carol2.context.close();
});

test('bad input to the API gets 4xx JSON and the server stays up', async ({ relay }) => {
  const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(relay.url + path, { method: 'POST', headers, body });
  const cases: [Promise<Response>, number][] = [
    [post('/api/auth/signup', '{not json'), 400],
    [post('/api/auth/signup', JSON.stringify({ username: 'x', password: 'y' })), 400],
    [post('/api/auth/signup', JSON.stringify({ username: 'a'.repeat(10), password: 'p'.repeat(2_000_000) })), 413],
    [post('/api/auth/login', JSON.stringify([1, 2, 3])), 400],
    [post('/api/cloud/messages', JSON.stringify({ id: 'x' })), 401],
    [fetch(relay.url + '/api/nope'), 404],
    [fetch(relay.url + '/api/me'), 401]
  ];
  for (const [pending, status] of cases) {
    const res = await pending;
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(typeof body.error.code).toBe('string');
    expect(typeof body.error.message).toBe('string');
  }
  expect((await fetch(relay.url + '/healthz')).ok).toBe(true);
});

test('the app is installable (Chromium installability check is empty)', async ({ relay }) => {
  const dir = mkdtempSync(join(tmpdir(), 'cinder-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath(),
    args: CHROMIUM_ARGS,
    headless: true
  });
  try {
    const page = await context.newPage();
    await page.goto(relay.url + '/login');
    await page.evaluate(async () => navigator.serviceWorker.ready);
    const cdp = await context.newCDPSession(page);
    const manifest = (await cdp.send('Page.getAppManifest')) as { errors: unknown[]; url: string };
    expect(manifest.errors).toEqual([]);
    await expect
      .poll(async () => ((await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: unknown[] }).installabilityErrors, {
        timeout: 15_000
      })
      .toEqual([]);
  } finally {
    await context.close();
    removeDir(dir);
  }
});

test('quitting and reopening the browser keeps the device signed in, with its chats', async ({ browser, relay }) => {
  const dir = mkdtempSync(join(tmpdir(), 'cinder-profile-'));
  const open = () => chromium.launchPersistentContext(dir, { executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true, baseURL: relay.url });
  const alice = await signUp(browser, relay, 'alice', 'Alice');
  const username = uniqueName('bob');
  let context = await open();
  try {
    let page = await context.newPage();
    await page.goto('/signup');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect(page.getByRole('heading', { name: 'Chats' })).toBeVisible();
    // The session cookie outlives the browser session (a browser-session cookie would be dropped on quit).
    const cookie = (await context.cookies()).find((c) => c.name === 'cinder_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie!.expires * 1000).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    await openChatWith(alice.page, username);
    await sendText(alice.page, 'still here after a restart?');
    await expect(page.getByRole('list', { name: 'Chats' }).getByText('still here after a restart?')).toBeVisible();
    await context.close();

    // Quit and start the browser again: still signed in, history still on the device.
    context = await open();
    page = await context.newPage();
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Chats' })).toBeVisible();
    await expect(page.getByRole('list', { name: 'Chats' }).getByText('still here after a restart?')).toBeVisible();
    await page.waitForTimeout(1000); // time for the /api/me check that would have signed it out
    expect(new URL(page.url()).pathname).toBe('/');
    await expect(page.getByRole('heading', { name: 'Chats' })).toBeVisible();
  } finally {
    await context.close();
    await alice.context.close();
    removeDir(dir);
  }
});
