import { randomBytes, randomUUID } from 'node:crypto';
import { test as base, expect, request, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { removeDir, startServer, type RunningServer } from '../support/server';

export { expect };

/** One real server per Playwright worker; tests keep apart by unique usernames. */
export const test = base.extend<{ relay: RunningServer; closeContexts: void }, { workerRelay: RunningServer }>({
  workerRelay: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires a destructuring first parameter
    async ({}, use) => {
      const server = await startServer();
      await use(server);
      await server.stop();
      removeDir(server.dataDir);
    },
    { scope: 'worker' }
  ],
  relay: async ({ workerRelay }, use) => use(workerRelay),
  // Every context a test opened (its users' devices) closes with it, also when the test failed midway: a
  // page left open keeps its app running (socket, timers) beside every later test of the worker.
  closeContexts: [
    async ({ browser }, use) => {
      await use();
      await Promise.all(browser.contexts().map((c) => c.close().catch(() => undefined)));
    },
    { auto: true }
  ]
});

let counter = 0;
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid % 1000}_${Date.now() % 100000}_${counter++}`.slice(0, 32);
}

export const PASSWORD = 'correct horse battery';

export interface User {
  context: BrowserContext;
  page: Page;
  username: string;
}

export async function newDevice(browser: Browser, relay: Pick<RunningServer, 'url'>): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: relay.url });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  return { context, page };
}

export async function signUp(browser: Browser, relay: Pick<RunningServer, 'url'>, prefix: string, displayName?: string): Promise<User> {
  const { context, page } = await newDevice(browser, relay);
  const username = uniqueName(prefix);
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  if (displayName) await page.getByLabel(/Display name/).fill(displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('heading', { name: 'Chats' })).toBeVisible();
  return { context, page, username };
}

export async function logIn(browser: Browser, relay: Pick<RunningServer, 'url'>, username: string): Promise<User> {
  const { context, page } = await newDevice(browser, relay);
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Chats' })).toBeVisible();
  return { context, page, username };
}

/** Opens the cloud chat with `peer` through the directory, as a user would. */
export async function openChatWith(page: Page, peer: string) {
  await page.goto('/');
  await page.getByLabel('Search chats and people').fill(peer);
  await page
    .getByRole('list', { name: 'People' })
    .getByRole('link')
    .filter({ hasText: `@${peer}` })
    .click();
  await page.getByRole('link', { name: 'Send message' }).click();
  await expect(page.getByLabel('Message', { exact: true })).toBeVisible();
}

export async function sendText(page: Page, text: string) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

export const messageLog = (page: Page) => page.getByRole('list', { name: 'Messages' });

/** Sends `text` and waits until the relay has it (its bubble's tick says Sent or Read): a navigation right after cannot lose it. */
export async function sendTextAndWait(page: Page, text: string) {
  await sendText(page, text);
  const bubble = messageLog(page).locator('li').filter({ hasText: text }).last();
  await expect(bubble.locator('[data-ticks="sent"], [data-ticks="read"]')).toBeVisible();
}

/** A peer made through the API only (no browser): it signs up and writes to `toUserId`. */
export async function apiPeer(baseURL: string, name: string) {
  const ctx = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } });
  const key = () => randomBytes(32).toString('base64url');
  const username = uniqueName(name.toLowerCase());
  const r = await ctx.post('/api/auth/signup', { data: { username, password: PASSWORD, displayName: name, device: { name: 'API', signPub: key(), dhPub: key() } } });
  expect(r.status()).toBe(201);
  const say = async (toUserId: string, text: string) =>
    expect((await ctx.post('/api/cloud/messages', { data: { id: randomUUID(), toUserId, text } })).status()).toBe(200);
  return { ctx, username, say };
}

/** The signed-in user's id, as the relay knows it. */
export const myId = async (page: Page) => ((await (await page.context().request.get('/api/me')).json()) as { user: { id: string } }).user.id;

/** The main chat list, and a row's menu ("Chat options"). */
export const mainList = (page: Page) => page.getByRole('list', { name: 'Chats', exact: true });
export const chatMenu = (page: Page) => page.getByRole('menu', { name: 'Chat options' });

/** The connection banner (offline, reconnecting). */
export const banner = (page: Page) => page.locator('[data-connection]');

/**
 * Waits until the service worker controls `page` (installed, its precache filled, clients claimed): on a
 * loaded machine the install alone can take longer than expect.poll's default 10 s, so it waits on the
 * registration being ready, then on the controller, with the test's own time.
 */
export async function controlledBySW(page: Page) {
  await page.evaluate(async () => void (await navigator.serviceWorker.ready));
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller), { timeout: 60_000 }).toBe(true);
}
