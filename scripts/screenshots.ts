/**
 * Takes the README's screenshots: starts the built server on a scratch DATA_DIR, plays a short
 * conversation between two users and captures each main screen (mobile 360×740 and desktop).
 * Run after `npm run build`: `npx tsx scripts/screenshots.ts`.
 */
import { chromium, type Page } from 'playwright';
import { mkdirSync } from 'node:fs';
import { CHROMIUM_ARGS, chromiumPath } from '../tests/support/chromium';
import { removeDir, startServer } from '../tests/support/server';

const OUT = 'docs/screenshots';
mkdirSync(OUT, { recursive: true });
const server = await startServer();
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
const scheme = (process.env.SCHEME as 'light' | 'dark') ?? 'light';

async function device(width: number, height: number) {
  const ctx = await browser.newContext({ baseURL: server.url, viewport: { width, height }, colorScheme: scheme, deviceScaleFactor: 1 });
  return ctx.newPage();
}

async function signUp(page: Page, username: string, name: string) {
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel(/Display name/).fill(name);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Chats' }).waitFor();
}

async function send(page: Page, text: string) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

const alice = await device(360, 740);
await alice.goto('/signup');
await alice.screenshot({ path: `${OUT}/signup-mobile.png` });
await signUp(alice, 'alice', 'Alice Liddell');
const bob = await device(1280, 800);
await signUp(bob, 'bob', 'Bob Builder');
const carol = await device(360, 740);
await signUp(carol, 'carol', 'Carol Danvers');

await alice.goto('/u/bob');
await alice.getByRole('link', { name: 'Send message' }).click();
await send(alice, 'Hi Bob! Are we still on for the climbing gym tonight?');
await bob.locator('[data-chat="alice"]').click();
await send(bob, 'Yes! 7pm works. Bring the chalk 🧗');
await send(alice, 'Deal. See you there.');
await carol.goto('/u/alice');
await carol.getByRole('link', { name: 'Send message' }).click();
await send(carol, 'Did you see the new release notes?');
await alice.waitForTimeout(500);
await alice.screenshot({ path: `${OUT}/chat-mobile.png` });
await bob.waitForTimeout(300);
await bob.screenshot({ path: `${OUT}/chat-desktop.png` });
await alice.goto('/');
await alice.locator('[data-chat="carol"]').waitFor();
await alice.screenshot({ path: `${OUT}/chats-mobile.png` });
await alice.goto('/u/carol');
await alice.getByRole('button', { name: 'More actions' }).click();
await alice.screenshot({ path: `${OUT}/profile-mobile.png` });
await alice.goto('/settings');
await alice.getByRole('list', { name: 'Devices' }).waitFor();
await alice.screenshot({ path: `${OUT}/settings-mobile.png` });

await browser.close();
await server.stop();
removeDir(server.dataDir);
console.log(`screenshots written to ${OUT}/`);
