// A new version deployed while three tabs are open (src/lib/pwa/update-flow.ts): the tab whose user
// clicks Reload moves to it, a hidden tab follows by itself (a draft typed in it does not hold it: the
// draft is saved and comes back after the reload), a tab in front says so and its Reload works.
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { removeDir, snapshotBuild, startServer } from '../support/server';
import { expect, newDevice, openChatWith, PASSWORD, signUp, test, uniqueName } from './fixtures';

let buildDir = 'build';
test.beforeAll(async () => {
  buildDir = await snapshotBuild();
});
test.afterAll(() => removeDir(buildDir));

const banner = (page: Page) => page.getByRole('status').filter({ has: page.getByRole('button', { name: 'Reload' }) });
/** Marks the page's current document: gone once the tab reloaded. */
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { oldVersion: boolean }).oldVersion = true));
const reloaded = (page: Page) => page.waitForFunction(() => !(window as unknown as { oldVersion?: boolean }).oldVersion, undefined, { timeout: 30_000 });

test('a new version reaches every open tab: the one clicked, a hidden one by itself, a shown one by its own Reload', async ({ browser }) => {
  const relay = await startServer({}, undefined, buildDir);
  try {
    const peer = await signUp(browser, relay, 'peer');
    const { context, page: a } = await newDevice(browser, relay);
    await a.goto('/signup');
    await a.getByLabel('Username').fill(uniqueName('upd'));
    await a.getByLabel('Password').fill(PASSWORD);
    await a.getByRole('button', { name: 'Sign up' }).click();
    await expect(a.getByRole('heading', { name: 'Chats' }).first()).toBeVisible();
    await a.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    const tabs = [a, await context.newPage(), await context.newPage()];
    for (const t of tabs.slice(1)) {
      await t.goto('/');
      await expect(t.getByRole('heading', { name: 'Chats' }).first()).toBeVisible();
      await t.waitForFunction(() => navigator.serviceWorker.controller !== null);
    }
    const [, hidden, shown] = tabs;
    // Tab B has a chat open with a half-typed draft: saved when the tab is hidden and before its reload.
    await openChatWith(hidden, peer.username);
    await hidden.getByLabel('Message', { exact: true }).fill('typed before the update');
    // Tab B is in the background: the browser says so to the page.
    await hidden.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });

    // The next version: a new service worker script (its precompressed copies would be served instead).
    const sw = join(buildDir, 'client', 'service-worker.js');
    appendFileSync(sw, `\n// next version ${Date.now()}\n`);
    for (const ext of ['.br', '.gz']) rmSync(sw + ext, { force: true });
    await relay.restart();
    await a.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    for (const t of tabs) await expect(banner(t)).toContainText('A new version of Cinder is ready.', { timeout: 30_000 });

    for (const t of tabs) await mark(t);
    await banner(a).getByRole('button', { name: 'Reload' }).click();
    // A reloads onto the new version, the hidden B by itself; C (in front, untouched) is told and stays.
    await reloaded(a);
    await reloaded(hidden);
    await expect(hidden.getByLabel('Message', { exact: true })).toHaveValue('typed before the update');
    await expect(banner(shown)).toContainText('Cinder was updated in another tab. Reload to use it.', { timeout: 30_000 });
    expect(await shown.evaluate(() => (window as unknown as { oldVersion?: boolean }).oldVersion)).toBe(true);
    await expect(a.getByRole('heading', { name: 'Chats' }).first()).toBeVisible();
    await peer.context.close();
    await expect(banner(a)).toHaveCount(0);
    // C's Reload works although nothing waits any more (the new worker is active).
    await banner(shown).getByRole('button', { name: 'Reload' }).click();
    await reloaded(shown);
    await expect(shown.getByRole('heading', { name: 'Chats' }).first()).toBeVisible();
    await expect(banner(shown)).toHaveCount(0);
    await context.close();
  } finally {
    await relay.stop();
    removeDir(relay.dataDir);
  }
});
